"""`DynamoDBStore`: the Store port on one DynamoDB table (on-demand, TTL on `ttl`), its parts by
concern (stage and outbox, timetables, subscriptions and settings, claims and values) over the
key design and item helpers in `dynamodb_base` (whose docstring has the table of items).
"""

from __future__ import annotations

from datetime import datetime
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
from services.adapters.store_rules import expired, expires_at

__all__ = ["GSI1", "KEY_ATTRIBUTES", "TTL_ATTRIBUTE", "DynamoDBStore", "create_table"]


class KeyValues(DynamoDBBase):
    # --- claims and values -------------------------------------------------------------------
    def claim(self, key: str, now: datetime, ttl_seconds: int, holder: str = "") -> bool:
        expires = now.timestamp() + ttl_seconds
        fields = {"expires_at": expires, TTL_ATTRIBUTE: int(expires) + 1, "holder": holder}
        try:
            self._c.put_item(
                TableName=self.table,
                Item=_item(pk=f"CLAIM#{key}", sk="CLAIM", **fields),
                ConditionExpression="attribute_not_exists(pk) OR expires_at <= :n",
                ExpressionAttributeValues=_item(**{":n": now.timestamp()}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def renew(self, key: str, now: datetime, ttl_seconds: int, holder: str) -> bool:
        expires = now.timestamp() + ttl_seconds
        values = {":e": expires, ":t": int(expires) + 1, ":n": now.timestamp(), ":h": holder}
        try:
            self._c.update_item(
                TableName=self.table,
                Key=_item(pk=f"CLAIM#{key}", sk="CLAIM"),
                UpdateExpression="SET expires_at = :e, #t = :t",
                ConditionExpression="attribute_exists(pk) AND expires_at > :n AND holder = :h",
                ExpressionAttributeNames={"#t": TTL_ATTRIBUTE},
                ExpressionAttributeValues=_item(**values),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release(self, key: str) -> None:
        self._c.delete_item(TableName=self.table, Key=_item(pk=f"CLAIM#{key}", sk="CLAIM"))

    def get_value(self, key: str, *, now: datetime) -> str | None:
        item = self._get(f"KV#{key}", "KV")
        if item is None or expired(float(item["expires_at"]) if "expires_at" in item else None, now):
            return None
        return str(item["value"])

    def put_value(self, key: str, value: str, ttl_seconds: int | None = None, *, now: datetime) -> None:
        extra: dict[str, Any] = {}
        expires = expires_at(now, ttl_seconds)
        if expires is not None:
            extra = {"expires_at": expires, TTL_ATTRIBUTE: int(expires) + 1}
        self._c.put_item(TableName=self.table, Item=_item(pk=f"KV#{key}", sk="KV", value=value, **extra))


class DynamoDBStore(StageOutboxTimetables, SubscriptionsSettings, KeyValues):
    """The Store port on one DynamoDB table (key design in the module docstring)."""
