"""Serialisation of store records shared by the SQLite and DynamoDB adapters."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from schemas import Event, UpcomingStage, event_class, parse_detail
from services.ports import StageRecord, Timetable, TimetableDay, TimetableEvent


def event_to_json(event: Event) -> str:
    return json.dumps(
        {"source": event.SOURCE, "detail_type": event.DETAIL_TYPE, "detail": event.model_dump(mode="json")}
    )


def event_from_json(text: str) -> Event:
    data = json.loads(text)
    return parse_detail(event_class(data["source"], data["detail_type"]), data["detail"])


def next_stages_to_json(stages: tuple[UpcomingStage, ...]) -> str:
    return json.dumps([s.model_dump(mode="json") for s in stages])


def next_stages_from_json(text: str | None) -> tuple[UpcomingStage, ...]:
    return tuple(UpcomingStage.model_validate(s) for s in json.loads(text or "[]"))


def stage_record_fields(record: StageRecord) -> dict[str, Any]:
    return {
        "stage": record.stage,
        "changed_at": record.changed_at.isoformat(),
        "next_stages": next_stages_to_json(record.next_stages),
        "observed_from": record.observed_from,
    }


def timetable_to_json(tt: Timetable) -> str:
    return json.dumps(
        {
            "area_id": tt.area_id,
            "name": tt.name,
            "region_name": tt.region_name,
            "days": [{"date": d.day.isoformat(), "stages": [list(s) for s in d.stages]} for d in tt.days],
            "events": [{"start": e.start.isoformat(), "end": e.end.isoformat(), "note": e.note} for e in tt.events],
            "fetched_at": tt.fetched_at.isoformat() if tt.fetched_at else None,
            "stale": tt.stale,
        }
    )


def timetable_from_json(text: str) -> Timetable:
    d = json.loads(text)
    return Timetable(
        area_id=d["area_id"],
        name=d["name"],
        region_name=d["region_name"],
        days=tuple(
            TimetableDay(date.fromisoformat(x["date"]), tuple(tuple(s) for s in x["stages"])) for x in d["days"]
        ),
        events=tuple(
            TimetableEvent(datetime.fromisoformat(e["start"]), datetime.fromisoformat(e["end"]), e["note"])
            for e in d["events"]
        ),
        fetched_at=datetime.fromisoformat(d["fetched_at"]) if d["fetched_at"] else None,
        stale=bool(d["stale"]),
    )
