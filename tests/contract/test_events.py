"""Events convert both ways; every bad input is one typed error naming the event and field."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from schemas import (
    ALL_EVENTS,
    EventValidationError,
    StageChanged,
    from_eventbridge,
    from_put_events_entry,
    to_eventbridge,
    to_put_events_entry,
)
from schemas.examples import example
from tests.conftest import load_fixture


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: c.__name__)
def test_put_events_entry_round_trips(cls):
    event = example(cls)
    entry = to_put_events_entry(event, "loadshed-bus")
    assert entry["Source"] == cls.SOURCE
    assert entry["DetailType"] == cls.DETAIL_TYPE
    assert entry["EventBusName"] == "loadshed-bus"
    assert isinstance(entry["Detail"], str)
    assert from_put_events_entry(entry) == event


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: c.__name__)
def test_delivered_event_round_trips(cls):
    event = example(cls)
    assert from_eventbridge(to_eventbridge(event)) == event
    assert from_eventbridge(json.dumps(to_eventbridge(event))) == event


def test_real_eventbridge_delivery_shape_parses():
    """The real delivery envelope (with replay-name, resources, …) carrying our detail."""
    raw = load_fixture("aws/eventbridge-event.json")
    event = example(StageChanged)
    raw.update(
        {"source": "loadshed.stage", "detail-type": "StageChanged", "detail": json.loads(event.model_dump_json())}
    )
    parsed = from_eventbridge(raw)
    assert isinstance(parsed, StageChanged)
    assert parsed.stage == 4


def test_foreign_event_is_a_typed_error():
    raw = load_fixture("aws/eventbridge-event.json")
    with pytest.raises(EventValidationError, match="EC2 Instance State-change Notification: unknown event type"):
        from_eventbridge(raw)


def _delivered(**detail_changes):
    raw = to_eventbridge(example(StageChanged))
    raw["detail"].update(detail_changes)
    return raw


def test_missing_field_names_event_and_field():
    raw = to_eventbridge(example(StageChanged))
    del raw["detail"]["region"]
    with pytest.raises(EventValidationError) as info:
        from_eventbridge(raw)
    assert info.value.event == "StageChanged"
    assert info.value.field == "region"
    assert "StageChanged.region" in str(info.value)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"stage": "four"}, "stage"),
        ({"stage": 9}, "stage"),
        ({"region": "durban"}, "region"),
        ({"changed_at": "2026-11-25T16:00:00"}, "changed_at"),  # naive: rejected
        ({"next_stages": [{"stage": 2}]}, "next_stages.0.starts_at"),
    ],
)
def test_wrong_values_name_the_field(change, field):
    with pytest.raises(EventValidationError) as info:
        from_eventbridge(_delivered(**change))
    assert info.value.field == field


@pytest.mark.parametrize(
    "raw",
    [
        "{not json",
        b"\xff\xfe",
        "[]",
        {"source": "loadshed.stage", "detail-type": "StageChanged"},
        {"detail-type": "StageChanged", "detail": {}},
        {"source": "loadshed.stage", "detail-type": "StageChanged", "detail": "{broken"},
        {"source": "loadshed.stage", "detail-type": "StageChanged", "detail": 42},
    ],
)
def test_corrupted_input_is_never_a_crash(raw):
    with pytest.raises(EventValidationError):
        from_eventbridge(raw)


def test_put_events_entry_missing_key_is_typed():
    with pytest.raises(EventValidationError, match="Detail"):
        from_put_events_entry({"Source": "loadshed.stage", "DetailType": "StageChanged"})


def test_consumers_are_tolerant_of_unknown_fields_and_newer_versions():
    raw = _delivered(added_in_a_later_release={"x": 1}, schema_version=2)
    parsed = from_eventbridge(raw)
    assert isinstance(parsed, StageChanged)
    assert parsed.schema_version == 2
    assert "added_in_a_later_release" not in parsed.model_dump()


def test_producers_are_strict():
    with pytest.raises(ValueError):
        StageChanged(region="national", previous_stage=None, stage=11, changed_at=datetime.now().astimezone())
    event = example(StageChanged)
    with pytest.raises(ValueError):
        event.stage = 3  # type: ignore[misc]
    assert event.schema_version == StageChanged.VERSION


def test_causation_chain():
    first = example(StageChanged)
    second = StageChanged(
        region="capetown", previous_stage=None, stage=1, changed_at=first.changed_at, **first.caused()
    )
    assert second.correlation_id == first.correlation_id
    assert second.causation_id == first.event_id
