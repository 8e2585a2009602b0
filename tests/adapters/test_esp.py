"""EskomSePushClient against a loopback server serving the real ESP payloads (v2 and v3.1)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from pytest_httpserver import HTTPServer

from services.adapters.esp import EskomSePushClient, EspStageSource, UpstreamPayloadError
from services.adapters.http import retrying_session
from services.ports import AreaNotFoundError, QuotaExceededError, UpstreamAuthError, UpstreamUnavailableError
from tests.conftest import FIXTURES, load_fixture

V2, V3 = "/business/2.0", "/business/3.1"


def _client(server: HTTPServer, base: str = V2) -> EskomSePushClient:
    return EskomSePushClient("test-token", server.url_for(base), session=retrying_session(backoff=0.01))


def _serve(server: HTTPServer, path: str, fixture: str, **kw) -> None:
    server.expect_request(path, headers={"token": "test-token"}, **kw).respond_with_data(
        (FIXTURES / fixture).read_bytes(), content_type="application/json"
    )


@pytest.mark.parametrize(
    "fixture", ["esp/v2/status.json", "esp/v2/status-2022-10-17.json", "esp/v3/status-ha-test-mock.json"]
)
def test_status_payloads_parse_into_stages(httpserver: HTTPServer, fixture):
    _serve(httpserver, f"{V2}/status", fixture)
    reading = EspStageSource(_client(httpserver)).current()
    raw = load_fixture(fixture)["status"]
    national, capetown = reading.regions
    assert (national.region, national.stage) == ("national", int(raw["eskom"]["stage"]))
    assert (capetown.region, capetown.stage) == ("capetown", int(raw["capetown"]["stage"]))
    assert [n.stage for n in national.next_stages] == [int(n["stage"]) for n in raw["eskom"]["next_stages"]]
    assert reading.source == "eskomsepush"


def test_area_payload_parses(httpserver: HTTPServer):
    _serve(httpserver, f"{V2}/area", "esp/v2/area.json", query_string="id=eskde-10-fourways")
    tt = _client(httpserver).area("eskde-10-fourways")
    assert tt.name == "Sandton-WEST (4)"
    assert tt.days[0].day == date(2022, 8, 8)
    assert len(tt.days) == 5 and all(len(d.stages) == 8 for d in tt.days)
    assert tt.days[0].stages[5] == ("04:00-06:30", "12:00-14:30", "20:00-00:30")
    assert tt.events[0].note == "Stage 2"


def test_v3_area_without_info_parses(httpserver: HTTPServer):
    _serve(httpserver, f"{V3}/area", "esp/v3/area-ha-test-mock.json")
    tt = _client(httpserver, V3).area("za_gt_tsh_garsfontein_gaev")
    assert tt.name == "za_gt_tsh_garsfontein_gaev" and len(tt.days) == 1


def test_search_and_allowance(httpserver: HTTPServer):
    _serve(httpserver, f"{V2}/areas_search", "esp/v2/areas_search.json", query_string="text=stellenbosch")
    _serve(httpserver, f"{V2}/api_allowance", "esp/v2/api_allowance.json")
    client = _client(httpserver)
    hits = client.search("stellenbosch")
    assert hits[0].area_id == "westerncape-2-stellenboschmunicipality"
    quota = client.api_allowance()
    assert (quota.limit, quota.used, quota.remaining) == (50, 39, 11)
    assert client.quota() == quota
    # ESP's docs (Postman, "Check allowance"): the allowance call does not count towards the quota
    assert client.calls == 1


def test_v31_quota_headers(httpserver: HTTPServer):
    httpserver.expect_request(f"{V3}/status").respond_with_data(
        (FIXTURES / "esp/v3/status-ha-test-mock.json").read_bytes(),
        headers={"x-ratelimit-limit": "50", "x-ratelimit-remaining": "7", "x-ratelimit-used": "43"},
    )
    client = _client(httpserver, V3)
    client.status()
    assert client.quota().remaining == 7


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, QuotaExceededError),
        (425, QuotaExceededError),
        (403, UpstreamAuthError),
        (401, UpstreamAuthError),
        (404, AreaNotFoundError),
    ],
)
def test_4xx_are_typed_and_never_retried(httpserver: HTTPServer, status, error):
    httpserver.expect_request(f"{V2}/area").respond_with_json({"error": "nope"}, status=status)
    with pytest.raises(error, match="nope"):
        _client(httpserver).area("x")
    assert len(httpserver.log) == 1


def test_5xx_retries_are_bounded(httpserver: HTTPServer):
    httpserver.expect_request(f"{V2}/status").respond_with_data("", status=502)
    with pytest.raises(UpstreamUnavailableError):
        _client(httpserver).status()
    assert len(httpserver.log) == 3


def test_missing_required_field_is_typed_and_extra_fields_ignored(httpserver: HTTPServer):
    area = load_fixture("esp/v2/area.json")
    area["brand_new_field"] = {"x": 1}
    del area["schedule"]["days"][0]["stages"]
    httpserver.expect_request(f"{V2}/area").respond_with_json(area)
    with pytest.raises(UpstreamPayloadError, match=r"schedule\.days\.0\.stages"):
        _client(httpserver).area("x")


def test_junk_body_is_typed(httpserver: HTTPServer):
    httpserver.expect_request(f"{V2}/status").respond_with_data("<html>", content_type="text/html")
    with pytest.raises(UpstreamPayloadError):
        _client(httpserver).status()


def test_malformed_slot_text_is_rejected(httpserver: HTTPServer):
    area = load_fixture("esp/v2/area.json")
    area["schedule"]["days"][0]["stages"][1] = ["8pm to 10pm"]
    httpserver.expect_request(f"{V2}/area").respond_with_json(area)
    with pytest.raises(UpstreamPayloadError):
        _client(httpserver).area("x")


def test_stage_out_of_range_is_unavailable(httpserver: HTTPServer):
    status = load_fixture("esp/v2/status.json")
    status["status"]["eskom"]["stage"] = "9"
    httpserver.expect_request(f"{V2}/status").respond_with_data(json.dumps(status))
    with pytest.raises(UpstreamUnavailableError, match="out of range"):
        EspStageSource(_client(httpserver)).current()


def test_missing_token_is_an_auth_error():
    with pytest.raises(UpstreamAuthError, match="ESKOMSEPUSH_TOKEN"):
        EskomSePushClient("")


def test_a_callable_token_is_read_at_the_first_request_only(httpserver: HTTPServer):
    """On AWS the token comes from SSM: reading it at cold start made functions that never call ESP
    need (and fail on) the right to read it. It is read once, when the first request goes out."""
    reads: list[int] = []

    def token() -> str:
        reads.append(1)
        return "test-token"

    client = EskomSePushClient(token, httpserver.url_for(V2), session=retrying_session(backoff=0.01))
    assert reads == []
    _serve(httpserver, f"{V2}/status", "esp/v2/status.json")
    EspStageSource(client).current()
    EspStageSource(client).current()
    assert reads == [1]
