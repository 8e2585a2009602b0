"""One valid example of every event: shown by `loadshed schemas show`, used by tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TypeVar, cast
from uuid import UUID

from schemas.base import Event
from schemas.events import (
    FanOutPaused,
    NotificationFailed,
    NotificationSent,
    OutageSlot,
    RefreshCompleted,
    RefreshFailed,
    RefreshRequested,
    ScheduleUpdated,
    StageChanged,
    SubscriptionChanged,
    UpcomingStage,
)

SAST = timezone(timedelta(hours=2), "SAST")
_T0 = datetime(2026, 11, 25, 16, 0, tzinfo=SAST)
_CORR = UUID("00000000-0000-4000-8000-000000000001")
_REQ = UUID("00000000-0000-4000-8000-0000000000aa")


def _examples() -> dict[type[Event], Event]:
    common = {"occurred_at": _T0, "correlation_id": _CORR}
    slot = OutageSlot(start=_T0 + timedelta(hours=4), end=_T0 + timedelta(hours=6, minutes=30), stage=4)
    return {
        StageChanged: StageChanged(
            region="national",
            previous_stage=2,
            stage=4,
            changed_at=_T0,
            next_stages=[UpcomingStage(stage=2, starts_at=_T0 + timedelta(hours=8))],
            **common,
        ),
        ScheduleUpdated: ScheduleUpdated(
            area_id="eskde-10-fourwaysext10cityofjohannesburggauteng",
            area_name="Fourways Ext 10",
            region="national",
            stage=4,
            slots=[slot],
            content_hash="0" * 64,
            **common,
        ),
        SubscriptionChanged: SubscriptionChanged(
            chat_id=12345,
            area_id="capetown-15-observatory",
            area_name="Observatory (15)",
            action="added",
            reason="user_request",
            **common,
        ),
        RefreshRequested: RefreshRequested(request_id=_REQ, scope="chat", chat_id=12345, **common),
        RefreshCompleted: RefreshCompleted(
            request_id=_REQ,
            scope="chat",
            chat_id=12345,
            stage=4,
            areas=["capetown-15-observatory"],
            notified=1,
            **common,
        ),
        RefreshFailed: RefreshFailed(
            request_id=_REQ,
            scope="chat",
            chat_id=12345,
            step="FetchStage",
            error_type="UpstreamUnavailableError",
            error="Eskom GetStatus timed out",
            **common,
        ),
        NotificationSent: NotificationSent(
            kind="stage_changed",
            fact_key="stage:national:4:2026-11-25T16:00",
            chat_ids=[12345, 67890],
            **common,
        ),
        NotificationFailed: NotificationFailed(
            kind="reminder",
            fact_key="remind:capetown-15-observatory:2026-11-25T20:00",
            chat_id=12345,
            error="Forbidden: bot was blocked by the user",
            permanent=True,
            **common,
        ),
        FanOutPaused: FanOutPaused(
            kind="stage_changed",
            fact_key="stage:national:4:2026-11-25T16:00",
            origin_source="loadshed.stage",
            origin_detail_type="StageChanged",
            origin_detail='{"region": "national"}',
            sent_so_far=22000,
            **common,
        ),
    }


E = TypeVar("E", bound=Event)


def example(cls: type[E]) -> E:
    """A valid example of `cls`."""
    return cast(E, _examples()[cls])
