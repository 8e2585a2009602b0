"""`EskomStageSource`: the national stage from Eskom's free `GetStatus` (no key, no quota)."""

from __future__ import annotations

import requests

from services.adapters.http import DEFAULT_TIMEOUT, retrying_session
from services.ports import RegionStage, StageReading, UpstreamUnavailableError

DEFAULT_ESKOM_URL = "https://loadshedding.eskom.co.za/LoadShedding"


def parse_get_status(body: str) -> int:
    """Eskom's bare integer n means stage n−1 (1 = none). Anything else is unknown, never a stage."""
    text = body.strip().strip('"')
    try:
        value = int(text)
    except ValueError:
        raise UpstreamUnavailableError(f"Eskom GetStatus returned {text[:40]!r}, not a number") from None
    if not 1 <= value <= 9:
        raise UpstreamUnavailableError(f"Eskom GetStatus returned {value}: stage unknown")
    return value - 1


class EskomStageSource:
    """National stage only; Eskom gives neither Cape Town's stage nor upcoming stages."""

    name = "eskom"

    def __init__(
        self,
        base_url: str = DEFAULT_ESKOM_URL,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        self._url = base_url.rstrip("/") + "/GetStatus"
        self._session = session or retrying_session()
        self._timeout = timeout

    def current(self) -> StageReading:
        try:
            response = self._session.get(self._url, timeout=self._timeout)
        except requests.RequestException as exc:
            raise UpstreamUnavailableError(f"Eskom GetStatus unreachable: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise UpstreamUnavailableError(f"Eskom GetStatus answered HTTP {response.status_code}")
        return StageReading((RegionStage("national", parse_get_status(response.text)),), self.name)
