"""The loadshed event contract: typed domain events and their EventBridge schemas.

Depends only on pydantic and the standard library, so any service (or another project) can
import it without pulling in the rest of loadshed.
"""

from __future__ import annotations

from schemas.base import Event, EventValidationError
from schemas.envelope import (
    event_class,
    event_class_by_name,
    from_eventbridge,
    from_put_events_entry,
    parse_detail,
    to_eventbridge,
    to_put_events_entry,
)
from schemas.events import (
    ALL_EVENTS,
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

__all__ = [
    "ALL_EVENTS",
    "Event",
    "EventValidationError",
    "FanOutPaused",
    "NotificationFailed",
    "NotificationSent",
    "OutageSlot",
    "RefreshCompleted",
    "RefreshFailed",
    "RefreshRequested",
    "ScheduleUpdated",
    "StageChanged",
    "SubscriptionChanged",
    "UpcomingStage",
    "event_class",
    "event_class_by_name",
    "from_eventbridge",
    "from_put_events_entry",
    "parse_detail",
    "to_eventbridge",
    "to_put_events_entry",
]
