"""What an AWS API call needs in IAM, and whether a policy document allows it.

Calls are recorded from botocore's `before-parameter-build` event (operation and API parameters); the action and
resource each needs follow the service authorization reference: DynamoDB transactions are
authorised per contained action (there is no `dynamodb:TransactWriteItems` action), an index is
its own resource (`table/T/index/I`), an SSM parameter's ARN is `parameter/<name without the
leading slash>`.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from tests.infra.harness import ACCOUNT, REGION

_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}


@dataclass(frozen=True)
class Need:
    action: str
    resource: str
    call: str


def _table(name: str, index: str | None = None) -> str:
    arn = name if name.startswith("arn:") else f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    return f"{arn}/index/{index}" if index else arn


def needs(service: str, operation: str, params: dict[str, Any]) -> list[Need]:
    call = f"{service}:{operation}"
    if service == "dynamodb":
        if operation == "TransactWriteItems":
            return [
                Need(f"dynamodb:{_TRANSACT[kind]}", _table(body["TableName"]), call)
                for item in params["TransactItems"]
                for kind, body in item.items()
            ]
        if operation == "BatchWriteItem":
            return [Need("dynamodb:BatchWriteItem", _table(t), call) for t in params["RequestItems"]]
        return [Need(f"dynamodb:{operation}", _table(params["TableName"], params.get("IndexName")), call)]
    if service == "events" and operation == "PutEvents":
        buses = {e.get("EventBusName", "default") for e in params["Entries"]}
        prefix = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/"
        return [Need("events:PutEvents", b if b.startswith("arn:") else prefix + b, call) for b in buses]
    if service == "ssm" and operation == "GetParameter":
        name = str(params["Name"]).lstrip("/")
        return [Need("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{name}", call)]
    return [Need(f"{service}:{operation}", "*", call)]


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def allows(policy: dict[str, Any], need: Need) -> bool:
    """An Allow statement whose actions and resources (with `*`/`?` wildcards) cover `need`."""
    for st in policy.get("Statement", []):
        if st.get("Effect") != "Allow":
            continue
        actions = [a.lower() for a in _listed(st.get("Action", []))]
        if not any(fnmatch.fnmatchcase(need.action.lower(), a) for a in actions):
            continue
        if any(fnmatch.fnmatchcase(need.resource, r) for r in _listed(st.get("Resource", []))):
            return True
    return False


def violations(policy: dict[str, Any], recorded: list[Need]) -> list[Need]:
    return sorted({n for n in recorded if not allows(policy, n)}, key=lambda n: (n.action, n.resource))
