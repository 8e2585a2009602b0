"""ESP v2 and v3.1 side by side: version from the base URL, ids, endpoints, quota, 400s.

Shapes: v2 from the docs summary and captures in tests/fixtures/esp/v2; v3.1 has no public
payload sample — its status/area bodies are the HA integration's test mocks (same shape as v2),
its quota headers are the ones PyPI `load_shedding` 0.15.2 reads (`x-ratelimit-limit`,
`-remaining`, `-used`, `-reset`), and `/api_allowance` is gone in v3.1 (wernerhp CHANGELOG 1.6.4).
See tests/fixtures/SOURCES.md.
"""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from services.adapters.esp import EskomSePushClient, api_version, area_label
from services.adapters.http import retrying_session
from services.ports import Quota, UpstreamRequestError
from tests.conftest import FIXTURES

V2, V31 = "/business/2.0", "/business/3.1"
RATE = {"x-ratelimit-limit": "50", "x-ratelimit-remaining": "12", "x-ratelimit-used": "38", "x-ratelimit-reset": "3600"}


def _client(server: HTTPServer, base: str, seen: list[Quota] | None = None) -> EskomSePushClient:
    hook = seen.append if seen is not None else None
    return EskomSePushClient("tok", server.url_for(base), session=retrying_session(backoff=0.01), on_quota=hook)


def _body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_version_comes_from_the_base_url():
    assert api_version("https://developer.sepush.co.za/business/2.0") == "2.0"
    assert api_version("https://developer.sepush.co.za/business/3.1/") == "3.1"
    assert api_version("http://127.0.0.1:9999") == "2.0"


def test_v31_area_by_underscore_id_with_quota_from_headers(httpserver: HTTPServer):
    area_id = "za_gt_tsh_garsfontein_gaev"  # the HA mock's v3 id
    httpserver.expect_request(f"{V31}/area", query_string=f"id={area_id}", headers={"token": "tok"}).respond_with_data(
        _body("esp/v3/area-ha-test-mock.json"), headers=RATE, content_type="application/json"
    )
    seen: list[Quota] = []
    client = _client(httpserver, V31, seen)
    tt = client.area(area_id)
    assert tt.events[0].note == "Stage 2" and client.version == "3.1"
    assert (seen[-1].limit, seen[-1].used, seen[-1].remaining) == (50, 38, 12)
    assert client.quota() == seen[-1]
    with pytest.raises(UpstreamRequestError, match="no api_allowance"):
        client.api_allowance()
    assert [r.path for r, _ in httpserver.log] == [f"{V31}/area"]  # quota() asked nothing more


def test_v31_status_search_and_nearby(httpserver: HTTPServer):
    httpserver.expect_request(f"{V31}/status").respond_with_data(_body("esp/v3/status-ha-test-mock.json"), headers=RATE)
    httpserver.expect_request(f"{V31}/areas_search").respond_with_json(
        {"areas": [{"id": "za_gt_jhb_fourways_4pef", "name": "Fourways", "region": "City of Johannesburg"}]},
        headers=RATE,
    )
    httpserver.expect_request(f"{V31}/areas_nearby").respond_with_json(
        {"areas": [{"id": "za_gt_jhb_fourways_4pef", "count": 9}]}, headers=RATE
    )
    client = _client(httpserver, V31)
    assert client.status().status.capetown is not None
    assert client.search("fourways")[0].area_id == "za_gt_jhb_fourways_4pef"
    [hit] = client.nearby(-26.0269658, 28.0137339)
    assert (hit.area_id, hit.name) == ("za_gt_jhb_fourways_4pef", "Fourways")
    assert client.calls == 3


def test_v2_nearby_and_quota_from_the_free_allowance_call(httpserver: HTTPServer):
    httpserver.expect_request(f"{V2}/areas_nearby", query_string="lat=-26.026966&lon=28.013734").respond_with_data(
        _body("esp/v2/areas_nearby.json"), content_type="application/json"
    )
    httpserver.expect_request(f"{V2}/api_allowance").respond_with_data(
        _body("esp/v2/api_allowance.json"), content_type="application/json"
    )
    seen: list[Quota] = []
    client = _client(httpserver, V2, seen)
    hits = client.nearby(-26.0269658, 28.0137339)
    assert [h.area_id for h in hits][:2] == ["capetown-15-observatory", "capetown-15-saltriver"]
    assert hits[0].name == "Observatory (capetown 15)"
    quota = client.quota()  # v2 has no headers: one free api_allowance call
    assert quota is not None and (quota.limit, quota.used) == (50, 39) and seen == [quota]
    assert client.quota() == quota  # not asked again within the hour
    assert client.calls == 1 and len(httpserver.log) == 2


def test_a_400_is_its_own_typed_error(httpserver: HTTPServer):
    httpserver.expect_request(f"{V2}/area").respond_with_json({"error": "Invalid area id"}, status=400)
    with pytest.raises(UpstreamRequestError, match="Invalid area id"):
        _client(httpserver, V2).area("bad id")
    assert len(httpserver.log) == 1


def test_area_labels_for_ids_without_names():
    assert area_label("za_gt_jhb_fourways_4pef") == "Fourways"
    assert area_label("za_wc_cpt_green_point_x1y2") == "Green Point"
    assert area_label("capetown-7-greenpoint") == "Greenpoint (capetown 7)"
    assert area_label("odd") == "odd"
