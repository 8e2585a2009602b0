"""`EventSchemaRegistry`: an EventBridge Schema Registry holding one schema per domain event."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from infra.contract import SCHEMA_TYPE


class EventSchemaRegistry(pulumi.ComponentResource):
    """The registry developers inspect with `loadshed schemas list --registry NAME`."""

    def __init__(
        self,
        name: str,
        *,
        registry_name: str,
        documents: Mapping[str, str],
        tags: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("loadshed:contract:EventSchemaRegistry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.registry = aws.schemas.Registry(
            f"{name}-registry",
            name=registry_name,
            description="loadshed domain events (JSON Schema Draft 4, generated from schemas/)",
            tags=dict(tags or {}),
            opts=child,
        )
        self.schemas = {
            schema_name: aws.schemas.Schema(
                f"{name}-{schema_name.replace('@', '-').replace('.', '-')}",
                name=schema_name,
                registry_name=self.registry.name,
                type=SCHEMA_TYPE,
                content=content,
                description=f"{schema_name} (generated; do not edit in the console)",
                tags=dict(tags or {}),
                opts=child,
            )
            for schema_name, content in documents.items()
        }
        self.registry_name = self.registry.name
        self.register_outputs({"registry_name": self.registry.name})
