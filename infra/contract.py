"""Pure helpers: the registry documents derived from the event contract (no Pulumi here)."""

from __future__ import annotations

import json

from schemas import ALL_EVENTS
from schemas.draft4 import event_schema, registry_schema_name

SCHEMA_TYPE = "JSONSchemaDraft4"


def registry_documents() -> dict[str, str]:
    """Registry schema name → Draft 4 content (compact JSON; the registry limits content size)."""
    return {
        registry_schema_name(cls): json.dumps(event_schema(cls), sort_keys=True, separators=(",", ":"))
        for cls in ALL_EVENTS
    }
