"""The Pulumi program: reads stack config and composes loadshed's components from `infra/`."""

from __future__ import annotations

import pulumi

from infra.contract import registry_documents
from infra.registry import EventSchemaRegistry

config = pulumi.Config("loadshed")
stack = pulumi.get_stack()
tags = {"project": "loadshed", "stack": stack}

registry = EventSchemaRegistry(
    "events",
    registry_name=config.get("registryName") or f"loadshed-{stack}",
    documents=registry_documents(),
    tags=tags,
)

pulumi.export("registry_name", registry.registry_name)
