"""The Draft 4 export is a valid Draft 4 schema that accepts real events and rejects wrong ones."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft4Validator, FormatChecker

from schemas import ALL_EVENTS, to_eventbridge
from schemas.draft4 import DRAFT4, all_event_schemas, event_schema, to_draft4
from schemas.examples import example
from schemas.gate import check_all, load_published, published_versions
from tests.conftest import load_fixture


def _keys(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from _keys(item)


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: c.__name__)
def test_schema_is_draft4_and_accepts_examples(cls):
    schema = event_schema(cls)
    assert schema["$schema"] == DRAFT4
    Draft4Validator.check_schema(schema)
    assert not {"$defs", "const", "prefixItems"} & set(_keys(schema))
    validator = Draft4Validator(schema, format_checker=FormatChecker())
    validator.validate(to_eventbridge(example(cls)))


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: c.__name__)
def test_schema_rejects_wrong_events(cls):
    validator = Draft4Validator(event_schema(cls))
    good = to_eventbridge(example(cls))
    wrong_source = {**good, "source": "someone.else"}
    assert not validator.is_valid(wrong_source)
    missing = json.loads(json.dumps(good))
    required = event_schema(cls)["definitions"][cls.__name__]["required"]
    del missing["detail"][required[0]]
    assert not validator.is_valid(missing)
    no_detail = {k: v for k, v in good.items() if k != "detail"}
    assert not validator.is_valid(no_detail)


def test_stage_bounds_and_nullable_previous_stage():
    from schemas import StageChanged

    validator = Draft4Validator(event_schema(StageChanged))
    good = to_eventbridge(example(StageChanged))
    assert validator.is_valid({**good, "detail": {**good["detail"], "previous_stage": None}})
    assert not validator.is_valid({**good, "detail": {**good["detail"], "stage": 9}})
    assert not validator.is_valid({**good, "detail": {**good["detail"], "event_id": "not-a-uuid"}})


def test_real_delivery_envelope_validates():
    from schemas import StageChanged

    raw = load_fixture("aws/eventbridge-event.json")
    raw.update(
        {
            "source": StageChanged.SOURCE,
            "detail-type": StageChanged.DETAIL_TYPE,
            "detail": to_eventbridge(example(StageChanged))["detail"],
        }
    )
    Draft4Validator(event_schema(StageChanged)).validate(raw)


def test_conversion_rules():
    converted = to_draft4(
        {
            "$defs": {"A": {"const": "x"}},
            "properties": {
                "n": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}], "description": "outer"},
                "r": {"anyOf": [{"$ref": "#/definitions/A"}, {"type": "null"}]},
                "e": {"type": "number", "exclusiveMinimum": 0},
            },
            "required": [],
        }
    )
    assert converted["definitions"]["A"] == {"enum": ["x"]}
    assert converted["properties"]["n"] == {"type": ["integer", "null"], "minimum": 0, "description": "outer"}
    assert "anyOf" in converted["properties"]["r"]
    assert converted["properties"]["e"] == {"type": "number", "minimum": 0, "exclusiveMinimum": True}
    assert "required" not in converted
    Draft4Validator.check_schema({"$schema": DRAFT4, **converted})


def test_published_snapshots_match_the_models():
    assert all(f.ok for f in check_all()), [f.message for f in check_all() if not f.ok]
    for name, schema in all_event_schemas().items():
        latest = published_versions(name)[-1]
        assert load_published(name, latest) == schema
