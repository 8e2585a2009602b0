"""Logging one way: every line of a Lambda invocation carries the event chain's correlation id
once, and JSON lines have ISO times with their zone."""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime, timezone

from schemas import StageChanged, to_eventbridge
from services.lambda_support import configure_logging, dispatch
from services.logcontext import JsonFormatter, correlation


def test_every_line_of_an_invocation_carries_the_correlation_id_once():
    event = StageChanged(region="national", previous_stage=1, stage=2, changed_at=datetime.now(timezone.utc))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s%(correlation)s"))
    root = logging.getLogger()
    root.addHandler(handler)  # as Lambda's runtime installs its own
    try:
        configure_logging()
        configure_logging()  # a warm start: still one filter, one id
        dispatch(to_eventbridge(event), {StageChanged: lambda e: logging.getLogger("loadshed.x").info("working")}, {})
        logging.getLogger("loadshed.x").info("between invocations")
    finally:
        root.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    cid = str(event.correlation_id)
    assert [line.count(cid) for line in lines] == [1, 1, 0], lines
    assert lines[0].startswith("loadshed.lambda") and "working" in lines[1]


def test_json_lines_have_iso_time_with_zone_and_a_structured_message():
    record = logging.LogRecord("loadshed.t", logging.INFO, __file__, 1, "hello %s", ("there",), None)
    with correlation("abc"):
        from services.logcontext import CorrelationFilter

        CorrelationFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "hello there" and line["correlation_id"] == "abc" and line["level"] == "INFO"
    assert datetime.fromisoformat(line["time"]).utcoffset() is not None
