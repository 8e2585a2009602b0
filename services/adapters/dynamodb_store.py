"""`DynamoDBStore`: the Store port on one DynamoDB table (on-demand, TTL on `ttl`).

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

from datetime import datetime, timezone
from typing import Any

from botocore.exceptions import ClientError

from services.adapters.dynamodb_base import (
    GSI1,
    KEY_ATTRIBUTES,
    TTL_ATTRIBUTE,
    DynamoDBBase,
    _item,
    create_table,
)
from services.adapters.dynamodb_chats import SubscriptionsSettings
from services.adapters.dynamodb_state import StageOutboxTimetables

__all__ = ["GSI1", "KEY_ATTRIBUTES", "TTL_ATTRIBUTE", "DynamoDBStore", "create_table"]


class KeyValues(DynamoDBBase):
    # --- claims and values -------------------------------------------------------------------
    def claim(self, key: str, now: datetime, ttl_seconds: int) -> bool:
        expires = now.timestamp() + ttl_seconds
        try:
            self._c.put_item(
                TableName=self.table,
                Item=_item(pk=f"CLAIM#{key}", sk="CLAIM", expires_at=expires, **{TTL_ATTRIBUTE: int(expires) + 1}),
                ConditionExpression="attribute_not_exists(pk) OR expires_at <= :n",
                ExpressionAttributeValues=_item(**{":n": now.timestamp()}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release(self, key: str) -> None:
        self._c.delete_item(TableName=self.table, Key=_item(pk=f"CLAIM#{key}", sk="CLAIM"))

    def get_value(self, key: str, now: datetime | None = None) -> str | None:
        item = self._get(f"KV#{key}", "KV")
        if item is None:
            return None
        moment = (now or datetime.now(timezone.utc)).timestamp()
        if "expires_at" in item and float(item["expires_at"]) <= moment:
            return None
        return str(item["value"])

    def put_value(self, key: str, value: str, ttl_seconds: int | None = None, now: datetime | None = None) -> None:
        extra: dict[str, Any] = {}
        if ttl_seconds:
            expires = (now or datetime.now(timezone.utc)).timestamp() + ttl_seconds
            extra = {"expires_at": expires, TTL_ATTRIBUTE: int(expires) + 1}
        self._c.put_item(TableName=self.table, Item=_item(pk=f"KV#{key}", sk="KV", value=value, **extra))


class DynamoDBStore(StageOutboxTimetables, SubscriptionsSettings, KeyValues):
    """The Store port on one DynamoDB table (key design in the module docstring)."""
