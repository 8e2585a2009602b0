"""Choose the upstream adapters from settings (shared by the AWS and embedded bootstraps)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from services.adapters.eskom import DEFAULT_ESKOM_URL, EskomStageSource
from services.adapters.esp import DEFAULT_ESP_URL, EskomSePushClient, EspStageSource
from services.ports import Quota, StageSource, TimetableSource


def stage_source_and_timetables(
    env: Mapping[str, str], esp_token: str | Callable[[], str], on_quota: Callable[[Quota], None] | None = None
) -> tuple[StageSource, TimetableSource | None]:
    """Eskom GetStatus is the stage source (free) unless LOADSHED_STAGE_SOURCE=eskomsepush; ESP
    serves timetables whenever a token is configured (a callable token is read at the first ESP call).
    `on_quota` hears each quota reading."""
    url = env.get("ESKOMSEPUSH_API_URL") or DEFAULT_ESP_URL
    client = EskomSePushClient(esp_token, url, on_quota=on_quota) if esp_token else None
    source: StageSource = EskomStageSource(env.get("ESKOM_API_URL") or DEFAULT_ESKOM_URL)
    if client is not None and env.get("LOADSHED_STAGE_SOURCE", "eskom") == "eskomsepush":
        source = EspStageSource(client)
    return source, client
