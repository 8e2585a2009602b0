"""Read a deployed EventBridge Schema Registry with boto3's `schemas` client."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError


class RegistryReadError(RuntimeError):
    """The deployed registry could not be read (missing, no credentials, bad content)."""


@dataclass(frozen=True)
class LiveSchema:
    name: str
    version: str
    type: str
    content: dict[str, Any]


class SchemaRegistryReader:
    """Lists and fetches schemas of one registry; `client` is a boto3 `schemas` client."""

    def __init__(self, client: Any, registry: str) -> None:
        self._client = client
        self.registry = registry

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = getattr(self._client, method)(RegistryName=self.registry, **kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise RegistryReadError(
                f"registry {self.registry!r}: {error.get('Code', 'Error')}: {error.get('Message', exc)}"
            ) from None
        except BotoCoreError as exc:
            raise RegistryReadError(f"registry {self.registry!r}: {exc}") from None
        return result

    def schema_names(self) -> list[str]:
        """Names of every schema in the registry."""
        names: list[str] = []
        token: str | None = None
        while True:
            page = self._call("list_schemas", **({"NextToken": token} if token else {}))
            names += [s["SchemaName"] for s in page.get("Schemas", [])]
            token = page.get("NextToken")
            if not token:
                return sorted(names)

    def versions(self, name: str) -> list[str]:
        """Registry versions of one schema, oldest first."""
        found: list[str] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"SchemaName": name}
            if token:
                kwargs["NextToken"] = token
            page = self._call("list_schema_versions", **kwargs)
            found += [v["SchemaVersion"] for v in page.get("SchemaVersions", [])]
            token = page.get("NextToken")
            if not token:
                return sorted(found, key=lambda v: int(v) if v.isdigit() else 0)

    def get(self, name: str, version: str | None = None) -> LiveSchema:
        """One schema's content (latest version unless `version` is given)."""
        kwargs: dict[str, Any] = {"SchemaName": name}
        if version is not None:
            kwargs["SchemaVersion"] = version
        result = self._call("describe_schema", **kwargs)
        try:
            content = json.loads(result["Content"])
        except (KeyError, ValueError) as exc:
            raise RegistryReadError(
                f"registry {self.registry!r}: schema {name} has unreadable content ({exc})"
            ) from None
        return LiveSchema(name, str(result.get("SchemaVersion", "")), str(result.get("Type", "")), content)


def make_reader(registry: str, region: str | None = None) -> SchemaRegistryReader:
    """A reader on a real AWS account (credentials from the usual boto3 chain)."""
    import boto3

    return SchemaRegistryReader(boto3.client("schemas", region_name=region), registry)
