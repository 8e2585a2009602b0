"""The event base every domain event derives from, and the one error consumers see.

Models build their validators on first use (`defer_build`): a Lambda importing the contract pays
only for the events it actually reads or writes.

Evolution policy (see README, "Event contract"):

* **Producers are strict.** Events are only built through these models: every field is validated
  on construction and models are frozen, so a producer cannot emit a malformed event.
* **Consumers are tolerant.** Unknown fields in `detail` are ignored, so a producer may add an
  optional field before its consumers know it.
* **Versions.** `VERSION` is a compatibility line. Compatible changes (optional field added,
  description changed, enum widened) keep it; a breaking change (field removed or renamed, type
  changed, new required field, enum narrowed) needs `VERSION + 1` and a new snapshot, which the
  `loadshed schemas check` gate enforces.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator


def utc_now() -> datetime:
    """The current time, timezone-aware (UTC); events never carry naive datetimes."""
    return datetime.now(UTC)


class EventValidationError(ValueError):
    """An event could not be read or built: unknown type, missing or wrong field, or bad JSON.

    The message names the event (detail-type) and the field, so a dead-lettered event can be
    diagnosed from the log line alone.
    """

    def __init__(self, event: str, message: str, field: str | None = None) -> None:
        self.event = event
        self.field = field
        where = f"{event}.{field}" if field else event
        super().__init__(f"{where}: {message}")


class Event(BaseModel):
    """Common envelope fields of every domain event (carried inside EventBridge `detail`)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, defer_build=True)

    SOURCE: ClassVar[str]
    DETAIL_TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1

    event_id: UUID = Field(default_factory=uuid4, description="Unique id of this event.")
    occurred_at: AwareDatetime = Field(default_factory=utc_now, description="When the fact happened (timezone-aware).")
    correlation_id: UUID = Field(
        default_factory=uuid4,
        description="Id shared by every event of one chain (e.g. StageChanged → ScheduleUpdated → NotificationSent).",
    )
    causation_id: UUID | None = Field(default=None, description="event_id of the event that caused this one, if any.")
    schema_version: int = Field(default=1, ge=1, description="Compatibility line of this event's schema (see VERSION).")

    @model_validator(mode="before")
    @classmethod
    def _default_version(cls, data: Any) -> Any:
        """Stamp the class's VERSION unless the payload already carries one (tolerant reads)."""
        if isinstance(data, dict) and "schema_version" not in data:
            return {**data, "schema_version": cls.VERSION}
        return data

    def caused(self) -> dict[str, Any]:
        """Keyword arguments that make a new event a consequence of this one."""
        return {"correlation_id": self.correlation_id, "causation_id": self.event_id}
