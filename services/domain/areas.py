"""Which stage applies to an area, and what an area id looks like."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TypeVar

from schemas.events import Region

AREA_ID = re.compile(r"^[A-Za-z0-9_.\-]{2,200}$")
"""EskomSePush area ids: v2 `eskde-10-fourways…`, `capetown-7-greenpoint`; v3.1 `za_gt_jhb_fourways_4pef`
(at most 200 characters, as the event schemas allow)."""

_CITY_OF_CAPE_TOWN = "city of cape town"
T = TypeVar("T")


def region_of_area(area_id: str, region_name: str = "") -> Region:
    """City of Cape Town's own customers follow Cape Town's stage; everyone else Eskom's.

    v2 ids say it (`capetown-…`); v3.1 ids do not, so the area's region as EskomSePush names it
    decides ("City of Cape Town", where Eskom-supplied areas of the city read "Eskom Direct, …").
    """
    if area_id.startswith("capetown-") or region_name.strip().lower() == _CITY_OF_CAPE_TOWN:
        return "capetown"
    return "national"


def areas_affected(region: Region, areas: Iterable[tuple[str, str]], capetown_known: bool) -> list[str]:
    """The areas (id, region name) a `region`'s stage change applies to. While no Cape Town stage
    is known, Cape Town's areas follow the national stage."""
    if region == "capetown":
        return [a for a, name in areas if region_of_area(a, name) == "capetown"]
    if capetown_known:
        return [a for a, name in areas if region_of_area(a, name) == "national"]
    return [a for a, _ in areas]


def stage_for(region: Region, stages: dict[Region, T | None]) -> T | None:
    """The area's own region's stage, else the national one."""
    return stages.get(region) or stages.get("national")


def is_stale(fetched_at: datetime | None, now: datetime, max_age: timedelta) -> bool:
    """A timetable never fetched, or fetched longer ago than `max_age`, should be fetched again."""
    return fetched_at is None or now - fetched_at > max_age
