"""`EskomSePushClient` (v2 `/business/2.0` and v3.1 `/business/3.1`) and the ESP stage source.

The version is the base URL's: both serve `status`, `area`, `areas_search` and `areas_nearby`;
v2 ids read `eskde-10-…`/`capetown-7-…`, v3.1 ids `za_gt_jhb_…`. The quota comes from v3.1's
`x-ratelimit-*` headers on every response, or on v2 from `api_allowance` (which v3.1 removed and
which costs no quota). Every request has a timeout; 5xx and timeouts are retried a bounded number
of times by the session; 4xx are mapped to one typed error each and never retried.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import requests
from pydantic import BaseModel, ValidationError

from schemas import UpcomingStage
from services.adapters.esp_models import EspAllowance, EspArea, EspNearby, EspRegionStatus, EspSearch, EspStatus
from services.adapters.http import DEFAULT_TIMEOUT, retrying_session
from services.ports import (
    AreaHit,
    AreaNotFoundError,
    QuotaExceededError,
    RegionStage,
    StageReading,
    Timetable,
    TimetableDay,
    TimetableEvent,
    UpstreamAuthError,
    UpstreamError,
    UpstreamRequestError,
    UpstreamUnavailableError,
)
from services.ports import Quota as QuotaInfo

DEFAULT_ESP_URL = "https://developer.sepush.co.za/business/2.0"
M = TypeVar("M", bound=BaseModel)
_VERSION = re.compile(r"/business/(\d+(?:\.\d+)?)")
ALLOWANCE_EVERY = timedelta(hours=1)


def api_version(base_url: str) -> str:
    """ "2.0" or "3.1" (…), from the base URL; "2.0" when it does not say."""
    found = _VERSION.search(base_url)
    return found.group(1) if found else "2.0"


def area_label(area_id: str) -> str:
    """A readable name for an area known only by its id (`areas_nearby` gives no names):
    `capetown-15-observatory` → "Observatory (capetown 15)", `za_gt_jhb_fourways_4pef` → "Fourways"."""
    if area_id.startswith("za_"):
        words = area_id.split("_")[3:-1] or area_id.split("_")[3:] or [area_id]
        return " ".join(words).title()
    parts = area_id.split("-", 2)
    if len(parts) == 3:
        return f"{parts[2].title()} ({parts[0]} {parts[1]})"
    return area_id


class UpstreamPayloadError(UpstreamUnavailableError):
    """The upstream answered 200 with a body we cannot read (missing field, wrong type, not JSON)."""


class EskomSePushClient:
    """A typed client of the ESP business API; `calls` counts requests (each costs quota)."""

    def __init__(
        self,
        token: str | Callable[[], str],
        base_url: str = DEFAULT_ESP_URL,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        on_quota: Callable[[QuotaInfo], None] | None = None,
    ) -> None:
        """`token` may be a callable: on AWS the secret is then read at the first request, not at
        cold start, so a function that never calls ESP never reads (or needs the right to read) it.
        `on_quota` hears every quota reading (to keep it where `loadshed status` reads it)."""
        if not token:
            raise UpstreamAuthError("EskomSePush needs a token (ESKOMSEPUSH_TOKEN)")
        self._token = token
        self._base = base_url.rstrip("/")
        self._session = session or retrying_session()
        self._timeout = timeout
        self._quota: QuotaInfo | None = None
        self._on_quota = on_quota
        self.version = api_version(self._base)
        self.calls = 0
        """Requests that cost quota (`api_allowance` does not)."""

    def _get(self, path: str, model: type[M], *, costs: bool = True, **params: str) -> M:
        if "token" not in self._session.headers:
            token = self._token() if callable(self._token) else self._token
            if not token:
                raise UpstreamAuthError("EskomSePush needs a token (ESKOMSEPUSH_TOKEN)")
            self._session.headers["token"] = token
        self.calls += int(costs)
        try:
            response = self._session.get(f"{self._base}/{path}", params=params, timeout=self._timeout)
        except requests.RequestException as exc:
            raise UpstreamUnavailableError(f"EskomSePush {path} unreachable: {type(exc).__name__}") from None
        self._read_quota(response)
        status = response.status_code
        detail = _error_text(response)
        if status in (429, 425):
            raise QuotaExceededError(f"EskomSePush quota exceeded ({status}){detail}")
        if status in (401, 403):
            raise UpstreamAuthError(f"EskomSePush rejected the token ({status}){detail}")
        if status == 404:
            raise AreaNotFoundError(f"EskomSePush {path}: not found{detail}")
        if status == 400:
            raise UpstreamRequestError(f"EskomSePush {path}: bad request{detail}")
        if status != 200:
            raise UpstreamUnavailableError(f"EskomSePush {path} answered HTTP {status}")
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise UpstreamPayloadError(f"EskomSePush {path}: {where}: {first['msg']}") from None

    def _read_quota(self, response: requests.Response) -> None:
        limit, remaining = response.headers.get("x-ratelimit-limit"), response.headers.get("x-ratelimit-remaining")
        if limit and remaining and limit.isdigit() and remaining.lstrip("-").isdigit():
            self._set_quota(QuotaInfo(int(limit), int(limit) - max(int(remaining), 0), datetime.now(timezone.utc)))

    def _set_quota(self, quota: QuotaInfo) -> None:
        self._quota = quota
        if self._on_quota is not None:
            self._on_quota(quota)

    def quota(self) -> QuotaInfo | None:
        """The last quota ESP reported. On v2, which has no quota headers, `api_allowance` (free)
        is asked when there is none yet or it is older than an hour."""
        stale = self._quota is None or datetime.now(timezone.utc) - self._quota.observed_at > ALLOWANCE_EVERY
        if self.version.startswith("2") and stale and "token" in self._session.headers:
            try:
                return self.api_allowance()
            except UpstreamError:
                return self._quota
        return self._quota

    def status(self) -> EspStatus:
        return self._get("status", EspStatus)

    def area_payload(self, area_id: str) -> EspArea:
        return self._get("area", EspArea, id=area_id)

    def area(self, area_id: str) -> Timetable:
        return timetable_from_esp(area_id, self.area_payload(area_id), datetime.now(timezone.utc))

    def search(self, text: str) -> list[AreaHit]:
        found = self._get("areas_search", EspSearch, text=text)
        return [AreaHit(a.id, a.name, a.region) for a in found.areas]

    def nearby(self, latitude: float, longitude: float) -> list[AreaHit]:
        found = self._get("areas_nearby", EspNearby, lat=f"{latitude:.6f}", lon=f"{longitude:.6f}")
        return [AreaHit(a.id, area_label(a.id), "") for a in found.areas]

    def api_allowance(self) -> QuotaInfo:
        """v2 only (v3.1 removed it: the quota arrives in every response's headers)."""
        if not self.version.startswith("2"):
            raise UpstreamRequestError(f"EskomSePush {self.version} has no api_allowance; read quota()")
        allowance = self._get("api_allowance", EspAllowance, costs=False).allowance
        quota = QuotaInfo(allowance.limit, allowance.count, datetime.now(timezone.utc))
        self._set_quota(quota)
        return quota


def _error_text(response: requests.Response) -> str:
    if response.status_code < 400:
        return ""
    try:
        body: Any = response.json()
    except ValueError:
        return ""
    message = body.get("error") if isinstance(body, dict) else None
    return f": {str(message)[:200]}" if message else ""


def timetable_from_esp(area_id: str, area: EspArea, fetched_at: datetime) -> Timetable:
    """Our Timetable from an ESP `area` payload."""
    return Timetable(
        area_id=area_id,
        name=area.info.name if area.info else area_id,
        region_name=area.info.region if area.info else "",
        days=tuple(TimetableDay(d.date, tuple(tuple(s) for s in d.stages)) for d in area.schedule.days),
        events=tuple(TimetableEvent(e.start, e.end, e.note) for e in area.events),
        fetched_at=fetched_at,
    )


def _region_stage(region: str, status: EspRegionStatus) -> RegionStage:
    stages = [status.stage, *(n.stage for n in status.next_stages)]
    if any(not 0 <= s <= 8 for s in stages):
        raise UpstreamUnavailableError(f"EskomSePush {region} stage out of range: {stages}")
    upcoming = tuple(UpcomingStage(stage=n.stage, starts_at=n.stage_start_timestamp) for n in status.next_stages)
    return RegionStage("national" if region == "eskom" else "capetown", status.stage, upcoming, status.stage_updated)


class EspStageSource:
    """National and Cape Town stages with announced next stages. Costs one ESP call per poll."""

    name = "eskomsepush"

    def __init__(self, client: EskomSePushClient) -> None:
        self._client = client

    def current(self) -> StageReading:
        status = self._client.status().status
        regions = [_region_stage("eskom", status.eskom)]
        if status.capetown is not None:
            regions.append(_region_stage("capetown", status.capetown))
        return StageReading(tuple(regions), self.name)
