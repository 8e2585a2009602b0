"""pydantic models of the EskomSePush (v2 / v3.1) payloads we read. Unknown fields are ignored."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class _Esp(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class EspNextStage(_Esp):
    stage: int
    stage_start_timestamp: AwareDatetime


class EspRegionStatus(_Esp):
    name: str = ""
    stage: int
    stage_updated: AwareDatetime | None = None
    next_stages: list[EspNextStage] = Field(default_factory=list)


class EspStatusBody(_Esp):
    eskom: EspRegionStatus
    capetown: EspRegionStatus | None = None


class EspStatus(_Esp):
    status: EspStatusBody


class EspInfo(_Esp):
    name: str
    region: str = ""


SlotText = Annotated[str, Field(pattern=r"^\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}$")]


class EspDay(_Esp):
    date: date
    name: str | None = None
    stages: list[list[SlotText]]


class EspSchedule(_Esp):
    days: list[EspDay]
    source: str | None = None


class EspEvent(_Esp):
    start: AwareDatetime
    end: AwareDatetime
    note: str = ""


class EspArea(_Esp):
    events: list[EspEvent] = Field(default_factory=list)
    info: EspInfo | None = None
    schedule: EspSchedule


class EspSearchHit(_Esp):
    id: str
    name: str
    region: str = ""


class EspSearch(_Esp):
    areas: list[EspSearchHit]


class EspNearbyHit(_Esp):
    id: str
    count: int = 0


class EspNearby(_Esp):
    areas: list[EspNearbyHit]


class EspAllowanceBody(_Esp):
    count: int
    limit: int
    type: str = "daily"


class EspAllowance(_Esp):
    allowance: EspAllowanceBody
