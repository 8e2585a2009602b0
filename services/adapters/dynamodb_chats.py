"""`DynamoDBStore`'s subscriptions (with per-chat and per-area counters) and chat settings."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from schemas import Event
from services.adapters.dynamodb_base import (
    GSI1,
    DynamoDBBase,
    _delivery,
    _item,
    _ser,
    _subscription,
)
from services.adapters.store_rules import within_limit
from services.ports import (
    ChatSettings,
    SubscriptionRecord,
)


class SubscriptionsSettings(DynamoDBBase):
    # --- subscriptions -----------------------------------------------------------------------
    def _counter(self, pk: str, sk: str, delta: int, limit: int | None = None) -> dict[str, Any]:
        update: dict[str, Any] = {
            "TableName": self.table,
            "Key": _item(pk=pk, sk=sk),
            "UpdateExpression": "ADD n :d",
            "ExpressionAttributeValues": {":d": _ser.serialize(delta)},
        }
        if limit is not None:
            update["ConditionExpression"] = "attribute_not_exists(n) OR n < :limit"
            update["ExpressionAttributeValues"][":limit"] = _ser.serialize(limit)
        return {"Update": update}

    def add_subscription(self, sub: SubscriptionRecord, outbox: Sequence[Event], limit: int = 10) -> bool:
        put = {
            "TableName": self.table,
            "Item": _item(
                pk=f"CHAT#{sub.chat_id}",
                sk=f"SUB#{sub.area_id}",
                gsi1pk=f"AREA#{sub.area_id}",
                gsi1sk=f"CHAT#{sub.chat_id}",
                chat_id=sub.chat_id,
                area_id=sub.area_id,
                area_name=sub.area_name,
                **_delivery(sub.remind_minutes, sub.quiet_start, sub.quiet_end),
            ),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        reasons = self._transact(
            [
                {"Put": put},
                self._counter(f"CHAT#{sub.chat_id}", "COUNT", 1, limit),
                self._counter("AREAS", sub.area_id, 1),
                *self._outbox_puts(outbox),
            ]
        )
        if reasons is None:
            return True
        if reasons and reasons[0] == "ConditionalCheckFailed":
            return False
        if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
            within_limit(sub.chat_id, limit, limit)  # the counter's condition refused: the chat is at the limit
        raise RuntimeError(f"subscription transaction cancelled: {reasons}")

    def remove_subscription(self, chat_id: int, area_id: str, outbox: Sequence[Event]) -> bool:
        delete = {
            "TableName": self.table,
            "Key": _item(pk=f"CHAT#{chat_id}", sk=f"SUB#{area_id}"),
            "ConditionExpression": "attribute_exists(pk)",
        }
        reasons = self._transact(
            [
                {"Delete": delete},
                self._counter(f"CHAT#{chat_id}", "COUNT", -1),
                self._counter("AREAS", area_id, -1),
                *self._outbox_puts(outbox),
            ]
        )
        return reasons is None

    def chat_subscriptions(self, chat_id: int) -> list[SubscriptionRecord]:
        rows = self._query(
            KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
            ExpressionAttributeValues=_item(**{":p": f"CHAT#{chat_id}", ":s": "SUB#"}),
        )
        return [_subscription(r) for r in rows]

    def area_subscribers(self, area_id: str) -> list[int]:
        rows = self._query(
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :a",
            ExpressionAttributeValues=_item(**{":a": f"AREA#{area_id}"}),
        )
        return sorted(int(r["chat_id"]) for r in rows)

    def area_subscriptions(self, area_id: str) -> list[SubscriptionRecord]:
        rows = self._query(
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :a",
            ExpressionAttributeValues=_item(**{":a": f"AREA#{area_id}"}),
        )
        return sorted((_subscription(r) for r in rows), key=lambda s: s.chat_id)

    def subscribed_areas(self) -> list[str]:
        rows = self._query(KeyConditionExpression="pk = :p", ExpressionAttributeValues=_item(**{":p": "AREAS"}))
        return sorted(r["sk"] for r in rows if int(r.get("n", 0)) > 0)

    # --- chat settings -----------------------------------------------------------------------
    def get_settings(self, chat_id: int) -> ChatSettings:
        item = self._get(f"CHAT#{chat_id}", "SETTINGS")
        return ChatSettings(**json.loads(item["body"])) if item else ChatSettings()

    def save_settings(self, chat_id: int, settings: ChatSettings) -> None:
        delivery = _delivery(settings.remind_minutes, settings.quiet_start, settings.quiet_end)
        names = {f"#{k}": k for k in delivery}
        values = {f":{k}": _ser.serialize(v) for k, v in delivery.items()}
        put = {
            "Put": {
                "TableName": self.table,
                "Item": _item(pk=f"CHAT#{chat_id}", sk="SETTINGS", body=json.dumps(asdict(settings))),
            }
        }
        for _ in range(3):  # a subscription removed meanwhile cancels the transaction: read again, retry
            updates = [
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": _item(pk=f"CHAT#{chat_id}", sk=f"SUB#{sub.area_id}"),
                        "UpdateExpression": "SET " + ", ".join(f"#{k} = :{k}" for k in delivery),
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": values,
                    }
                }
                for sub in self.chat_subscriptions(chat_id)
            ]
            if self._transact([put, *updates]) is None:
                return
        raise RuntimeError(f"settings of chat {chat_id} could not be saved: subscriptions kept changing")
