"""EskomStageSource against a loopback HTTP server speaking the real GetStatus payload."""

from __future__ import annotations

import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from services.adapters.eskom import EskomStageSource, parse_get_status
from services.adapters.http import retrying_session
from services.ports import UpstreamUnavailableError
from tests.conftest import FIXTURES


def _source(server: HTTPServer, **kw) -> EskomStageSource:
    return EskomStageSource(server.url_for("/LoadShedding"), session=retrying_session(backoff=0.01), **kw)


def test_real_payload_means_no_load_shedding(httpserver: HTTPServer):
    body = (FIXTURES / "eskom" / "getstatus.json").read_text()
    httpserver.expect_request("/LoadShedding/GetStatus").respond_with_data(body, content_type="application/json")
    reading = _source(httpserver).current()
    assert [(r.region, r.stage) for r in reading.regions] == [("national", 0)]
    assert reading.source == "eskom"


@pytest.mark.parametrize(("body", "stage"), [("1", 0), ("3", 2), ("5", 4), ("9", 8), ('"7"', 6), (" 2\n", 1)])
def test_n_means_stage_n_minus_1(body, stage):
    assert parse_get_status(body) == stage


@pytest.mark.parametrize("body", ["-1", "0", "10", "99", "<html><body>Maintenance</body></html>", "", "2.5"])
def test_unknown_is_never_a_stage(body):
    with pytest.raises(UpstreamUnavailableError):
        parse_get_status(body)


def test_html_page_from_server_is_unavailable(httpserver: HTTPServer):
    httpserver.expect_request("/LoadShedding/GetStatus").respond_with_data(
        "<html>oops</html>", content_type="text/html"
    )
    with pytest.raises(UpstreamUnavailableError, match="not a number"):
        _source(httpserver).current()


def test_5xx_is_retried_then_succeeds(httpserver: HTTPServer):
    httpserver.expect_ordered_request("/LoadShedding/GetStatus").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/LoadShedding/GetStatus").respond_with_data("4")
    assert _source(httpserver).current().regions[0].stage == 3
    assert len(httpserver.log) == 2


def test_persistent_5xx_is_bounded_and_typed(httpserver: HTTPServer):
    httpserver.expect_request("/LoadShedding/GetStatus").respond_with_data("down", status=500)
    with pytest.raises(UpstreamUnavailableError, match="HTTP 500"):
        _source(httpserver).current()
    assert len(httpserver.log) == 3  # first try + 2 retries, then give up


def test_timeout_is_unavailable(httpserver: HTTPServer):
    def slow(request: Request) -> Response:
        time.sleep(0.5)
        return Response("2")

    httpserver.expect_request("/LoadShedding/GetStatus").respond_with_handler(slow)
    source = EskomStageSource(
        httpserver.url_for("/LoadShedding"), session=retrying_session(retries=0), timeout=(0.5, 0.1)
    )
    with pytest.raises(UpstreamUnavailableError, match="unreachable"):
        source.current()


def test_connection_refused_is_unavailable():
    source = EskomStageSource("http://127.0.0.1:9/LoadShedding", session=retrying_session(retries=0))
    with pytest.raises(UpstreamUnavailableError):
        source.current()
