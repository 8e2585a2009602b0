"""The domain events of loadshed: facts in the past tense, each with its EventBridge identity.

`SOURCE` names the domain a fact belongs to (not the service that happens to publish it: the
topology says who publishes what), and `DETAIL_TYPE` is the class name.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from schemas.base import Event

Stage = Annotated[int, Field(ge=0, le=8, description="Load-shedding stage; 0 = suspended.")]
Region = Literal["national", "capetown"]
"""Where a stage applies: Eskom's national stage, or the City of Cape Town's own."""

NotificationKind = Literal["stage_changed", "schedule_updated", "reminder", "refresh"]
AreaId = Annotated[str, Field(min_length=1, max_length=200)]


class _Part(BaseModel):
    """A value object inside an event: tolerant to unknown fields, immutable."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class UpcomingStage(_Part):
    """A stage the source has announced for a later time."""

    stage: Stage
    starts_at: AwareDatetime


class OutageSlot(_Part):
    """One period without power for an area, in absolute time."""

    start: AwareDatetime
    end: AwareDatetime
    stage: Stage = Field(description="The stage in force when the slot starts.")
    note: str | None = Field(
        default=None,
        description="Set when the outage is not a load-shedding slot (e.g. a municipality's "
        "'Load Reduction'): the upstream's own words.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> OutageSlot:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class StageChanged(Event):
    """The load-shedding stage of a region changed (or was observed for the first time)."""

    SOURCE: ClassVar[str] = "loadshed.stage"
    DETAIL_TYPE: ClassVar[str] = "StageChanged"

    region: Region
    previous_stage: Stage | None = Field(description="Stage before the change; null on the very first observation.")
    stage: Stage
    changed_at: AwareDatetime = Field(description="When the change was observed or announced.")
    next_stages: list[UpcomingStage] = Field(
        default_factory=list, description="Announced upcoming stages, when the source gives them."
    )
    observed_from: str = Field(default="eskom", description="Upstream that reported the stage.")


class ScheduleUpdated(Event):
    """An area's upcoming outage slots under the current stage changed."""

    SOURCE: ClassVar[str] = "loadshed.schedule"
    DETAIL_TYPE: ClassVar[str] = "ScheduleUpdated"

    area_id: AreaId
    area_name: str
    region: Region = Field(description="Whose stage applies to this area.")
    stage: Stage = Field(description="The stage the slots were computed for.")
    slots: list[OutageSlot] = Field(description="Upcoming outages, merged and sorted by start.")
    content_hash: str = Field(
        pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the slots; equal hash = same schedule."
    )
    stale: bool = Field(default=False, description="True when the last fetch failed.")
    trigger: Literal["stage_changed", "subscribed", "timetable_fetched", "refresh"] = Field(
        default="timetable_fetched",
        description="Why it was recomputed; a stage-change update is already told in the stage message.",
    )


class SubscriptionChanged(Event):
    """A chat subscribed to or unsubscribed from an area."""

    SOURCE: ClassVar[str] = "loadshed.subscription"
    DETAIL_TYPE: ClassVar[str] = "SubscriptionChanged"

    chat_id: int
    area_id: AreaId
    area_name: str | None = None
    action: Literal["added", "removed"]
    reason: Literal[
        "user_request", "bot_blocked", "chat_not_found", "chat_deactivated", "no_rights", "chat_migrated", "admin"
    ] = Field(
        default="user_request",
        description="Why: the chat asked; Telegram said the chat is gone (blocked/kicked, not found, "
        "deactivated, no right to write); the group became a supergroup (moved to its new id); an admin.",
    )


class RefreshRequested(Event):
    """Someone asked for an ordered refresh (stage → schedule → notify)."""

    SOURCE: ClassVar[str] = "loadshed.refresh"
    DETAIL_TYPE: ClassVar[str] = "RefreshRequested"

    request_id: UUID
    scope: Literal["chat", "all"] = Field(description="One chat, or every subscriber (admin).")
    chat_id: int = Field(description="The chat that asked; it gets the answer.")


class RefreshCompleted(Event):
    """A refresh workflow ran to the end."""

    SOURCE: ClassVar[str] = "loadshed.refresh"
    DETAIL_TYPE: ClassVar[str] = "RefreshCompleted"

    request_id: UUID
    scope: Literal["chat", "all"]
    chat_id: int
    stage: Stage | None = None
    areas: list[AreaId] = Field(default_factory=list, description="Areas whose schedule was read.")
    notified: int = Field(default=0, ge=0, description="Messages sent by the Notify step.")


class RefreshFailed(Event):
    """A refresh workflow gave up after its retries."""

    SOURCE: ClassVar[str] = "loadshed.refresh"
    DETAIL_TYPE: ClassVar[str] = "RefreshFailed"

    request_id: UUID
    scope: Literal["chat", "all"]
    chat_id: int
    step: str = Field(description="The workflow step that failed.")
    error_type: str = Field(description="Error class name, e.g. UpstreamUnavailableError.")
    error: str = Field(default="", description="Human-readable cause (no secrets).")


class NotificationSent(Event):
    """Messages about one fact reached these chats (a batched summary)."""

    SOURCE: ClassVar[str] = "loadshed.notification"
    DETAIL_TYPE: ClassVar[str] = "NotificationSent"

    kind: NotificationKind
    fact_key: str = Field(min_length=1, description="The fact the messages were about.")
    chat_ids: list[int] = Field(min_length=1, max_length=1000)


class NotificationFailed(Event):
    """A message about a fact could not be delivered to a chat."""

    SOURCE: ClassVar[str] = "loadshed.notification"
    DETAIL_TYPE: ClassVar[str] = "NotificationFailed"

    kind: NotificationKind
    fact_key: str = Field(min_length=1)
    chat_id: int
    error: str
    permanent: bool = Field(description="True when retrying cannot help (blocked, chat gone).")


class FanOutPaused(Event):
    """A notification fan-out stopped at a checkpoint (time budget) and continues in a new run."""

    SOURCE: ClassVar[str] = "loadshed.notification"
    DETAIL_TYPE: ClassVar[str] = "FanOutPaused"

    kind: NotificationKind
    fact_key: str = Field(min_length=1)
    origin_source: str = Field(description="source of the event being fanned out")
    origin_detail_type: str = Field(description="detail-type of the event being fanned out")
    origin_detail: str = Field(description="detail (JSON) of the event being fanned out")
    sent_so_far: int = Field(ge=0)


ALL_EVENTS: tuple[type[Event], ...] = (
    StageChanged,
    ScheduleUpdated,
    SubscriptionChanged,
    RefreshRequested,
    RefreshCompleted,
    RefreshFailed,
    NotificationSent,
    NotificationFailed,
    FanOutPaused,
)
