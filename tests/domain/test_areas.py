"""The shared area rules: which stage applies where, what an area id is, when to re-fetch."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.domain.areas import AREA_ID, areas_affected, is_stale, region_of_area, stage_for

# Region names as EskomSePush gives them in `area.info.region` and `areas_search` hits
# (tests/fixtures/esp/v2/area.json: "Eskom Direct, City of Johannesburg, Gauteng").
AREAS = [
    ("capetown-7-greenpoint", "City of Cape Town"),
    ("eskde-4-stellenboschnucityofcapetownwesterncape", "Eskom Direct, City of Cape Town, Western Cape"),
    ("za_wc_cpt_observatory_x1", "City of Cape Town"),
    ("za_gt_jhb_fourways_4pef", "Eskom Direct, City of Johannesburg, Gauteng"),
]


def test_region_from_the_v2_prefix_or_the_region_name():
    assert region_of_area("capetown-15-observatory") == "capetown"
    assert region_of_area("capetown-15-observatory", "") == "capetown"
    assert region_of_area("za_wc_cpt_observatory_x1", " City of Cape Town ") == "capetown"
    assert region_of_area("za_wc_cpt_observatory_x1") == "national"  # unknown until ESP names it
    assert region_of_area("eskde-4-stellenboschnucityofcapetownwesterncape", AREAS[1][1]) == "national"


def test_a_cape_town_stage_change_reaches_only_city_customers():
    assert areas_affected("capetown", AREAS, capetown_known=True) == [
        "capetown-7-greenpoint",
        "za_wc_cpt_observatory_x1",
    ]


def test_a_national_change_skips_city_customers_once_cape_town_has_its_own_stage():
    national = ["eskde-4-stellenboschnucityofcapetownwesterncape", "za_gt_jhb_fourways_4pef"]
    assert areas_affected("national", AREAS, capetown_known=True) == national
    assert areas_affected("national", AREAS, capetown_known=False) == [a for a, _ in AREAS]


def test_stage_for_falls_back_to_national():
    assert stage_for("capetown", {"national": 4, "capetown": 2}) == 2
    assert stage_for("capetown", {"national": 4, "capetown": None}) == 4
    assert stage_for("national", {"national": None}) is None


@pytest.mark.parametrize(
    ("area_id", "ok"),
    [
        ("eskde-10-fourwaysext10cityofjohannesburggauteng", True),
        ("za_gt_jhb_fourways_4pef", True),
        ("capetown-7-greenpoint", True),
        ("a" * 200, True),
        ("a" * 201, False),
        ("x", False),
        ("fourways; drop", False),
    ],
)
def test_area_id_shape(area_id: str, ok: bool):
    assert bool(AREA_ID.fullmatch(area_id)) is ok


def test_staleness():
    now = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)
    assert is_stale(None, now, timedelta(hours=20))
    assert is_stale(now - timedelta(hours=21), now, timedelta(hours=20))
    assert not is_stale(now - timedelta(hours=19), now, timedelta(hours=20))
