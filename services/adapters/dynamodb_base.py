"""`DynamoDBStore`'s shared part: the table, its key design, item helpers and transactions.

Key design (pk / sk; GSI1 = gsi1pk / gsi1sk):

| item | pk | sk | notes |
| --- | --- | --- | --- |
| stage of a region | `STAGE#<region>` | `STAGE` | `version` guards the conditional transition |
| outbox entry | `OUTBOX` | `<ns-time>#<event_id>` | `lease_until` while a relay publishes it |
| area timetable | `AREA#<id>` | `TIMETABLE` | all stages as fetched |
| area schedule | `AREA#<id>` | `SCHEDULE` | hash, slots, coverage; optimistic on the previous hash |
| subscription | `CHAT#<chat>` | `SUB#<area>` | GSI1: `AREA#<area>` / `CHAT#<chat>` → subscribers by area |
| chat area count | `CHAT#<chat>` | `COUNT` | enforces the per-chat limit in the same transaction |
| area subscriber count | `AREAS` | `<area>` | `n > 0` → area is subscribed (no scan to list areas) |
| chat settings | `CHAT#<chat>` | `SETTINGS` | reminder lead, quiet hours (copied onto the chat's subscriptions) |
| claim (send-once, dedupe) | `CLAIM#<key>` | `CLAIM` | `expires_at`; `ttl` lets DynamoDB expire it |
| value (cursor, offset, quota) | `KV#<key>` | `KV` | optional `ttl` |

State and its events are written in one `TransactWriteItems` (state + outbox rows), so a crash
can never record a change without the event that announces it. The outbox partition is small
(rows live seconds); at much higher volume it would be sharded.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from schemas import Event
from services.adapters.codec import (
    event_to_json,
)
from services.ports import (
    SubscriptionRecord,
)

GSI1 = "gsi1"
TTL_ATTRIBUTE = "ttl"
KEY_ATTRIBUTES = {"pk": "S", "sk": "S", "gsi1pk": "S", "gsi1sk": "S"}

_ser, _de = TypeSerializer(), TypeDeserializer()


def create_table(client: Any, name: str) -> None:
    """Create the table as Pulumi does (used by tests and local experiments on moto)."""
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": t} for k, t in KEY_ATTRIBUTES.items()],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": GSI1,
                "KeySchema": [
                    {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                    {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


def _item(**values: Any) -> dict[str, Any]:
    """Attribute values for DynamoDB (floats as Decimal, which is all the serializer accepts)."""
    return {
        k: _ser.serialize(Decimal(str(v)) if isinstance(v, float) else v) for k, v in values.items() if v is not None
    }


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _de.deserialize(v) for k, v in item.items()}


def _delivery(remind: int | None, quiet_start: str | None, quiet_end: str | None) -> dict[str, Any]:
    """Delivery settings as subscription attributes (`remind` -1 = reminders off)."""
    return {"remind": -1 if remind is None else remind, "quiet_start": quiet_start, "quiet_end": quiet_end}


def _subscription(row: dict[str, Any]) -> SubscriptionRecord:
    remind = int(row.get("remind", 30))
    return SubscriptionRecord(
        int(row["chat_id"]),
        row["area_id"],
        row.get("area_name"),
        None if remind < 0 else remind,
        row.get("quiet_start"),
        row.get("quiet_end"),
    )


def _cancelled_reasons(exc: ClientError) -> list[str]:
    return [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]


class DynamoDBBase:
    """The Store port on DynamoDB; `client` is a boto3 DynamoDB client."""

    def __init__(self, client: Any, table: str) -> None:
        self._c = client
        self.table = table

    # --- helpers -----------------------------------------------------------------------------
    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        found = self._c.get_item(TableName=self.table, Key=_item(pk=pk, sk=sk), ConsistentRead=True).get("Item")
        return _plain(found) if found else None

    def _query(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        kwargs = {"TableName": self.table, **kwargs}
        while True:
            page = self._c.query(**kwargs)
            for item in page.get("Items", []):
                yield _plain(item)
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _outbox_puts(self, events: Sequence[Event]) -> list[dict[str, Any]]:
        return [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": _item(pk="OUTBOX", sk=f"{time.time_ns():020d}#{e.event_id}", body=event_to_json(e)),
                }
            }
            for e in events
        ]

    def _transact(self, items: list[dict[str, Any]]) -> list[str] | None:
        """Run a transaction; None on success, else the cancellation reason codes."""
        try:
            self._c.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                return _cancelled_reasons(exc)
            raise
        return None
