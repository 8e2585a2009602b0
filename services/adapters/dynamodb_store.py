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

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from schemas import Event
from schemas.events import Region
from services.adapters.codec import (
    event_from_json,
    event_to_json,
    next_stages_from_json,
    stage_record_fields,
    timetable_from_json,
    timetable_to_json,
)
from services.ports import (
    ChatSettings,
    OutboxItem,
    ScheduleRecord,
    StageRecord,
    SubscriptionLimitError,
    SubscriptionRecord,
    Timetable,
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


class DynamoDBStore:
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

    # --- stage -------------------------------------------------------------------------------
    def get_stage(self, region: Region) -> StageRecord | None:
        item = self._get(f"STAGE#{region}", "STAGE")
        if item is None:
            return None
        return StageRecord(
            region=region,
            stage=int(item["stage"]),
            changed_at=datetime.fromisoformat(item["changed_at"]),
            next_stages=next_stages_from_json(item["next_stages"]),
            observed_from=item["observed_from"],
            version=int(item["version"]),
        )

    def save_stage(self, record: StageRecord, expected_version: int | None, outbox: Sequence[Event]) -> bool:
        put: dict[str, Any] = {
            "TableName": self.table,
            "Item": _item(
                pk=f"STAGE#{record.region}",
                sk="STAGE",
                version=(expected_version or 0) + 1,
                **stage_record_fields(record),
            ),
        }
        if expected_version is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = {":v": _ser.serialize(expected_version)}
        return self._transact([{"Put": put}, *self._outbox_puts(outbox)]) is None

    # --- outbox ------------------------------------------------------------------------------
    def claim_outbox(self, now: datetime, limit: int = 50, lease_seconds: int = 60) -> list[OutboxItem]:
        claimed: list[OutboxItem] = []
        moment = now.timestamp()
        for row in self._query(
            KeyConditionExpression="pk = :p", ExpressionAttributeValues=_item(**{":p": "OUTBOX"}), ConsistentRead=True
        ):
            if float(row.get("lease_until", 0)) > moment:
                continue
            try:
                self._c.update_item(
                    TableName=self.table,
                    Key=_item(pk="OUTBOX", sk=row["sk"]),
                    UpdateExpression="SET lease_until = :l",
                    ConditionExpression=(
                        "attribute_exists(pk) AND (attribute_not_exists(lease_until) OR lease_until <= :n)"
                    ),
                    ExpressionAttributeValues=_item(**{":l": moment + lease_seconds, ":n": moment}),
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                    continue
                raise
            claimed.append(OutboxItem(row["sk"], event_from_json(row["body"])))
            if len(claimed) >= limit:
                break
        return claimed

    def mark_published(self, item_ids: Sequence[str]) -> None:
        for item_id in item_ids:
            self._c.delete_item(TableName=self.table, Key=_item(pk="OUTBOX", sk=item_id))

    def enqueue(self, events: Sequence[Event]) -> None:
        puts = self._outbox_puts(events)
        for start in range(0, len(puts), 25):  # BatchWriteItem takes 25 items a call
            requests = [{"PutRequest": {"Item": p["Put"]["Item"]}} for p in puts[start : start + 25]]
            pending: dict[str, Any] = {self.table: requests}
            while pending:
                pending = self._c.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    def outbox_depth(self) -> int:
        total, kwargs = (
            0,
            {
                "TableName": self.table,
                "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": _item(**{":p": "OUTBOX"}),
                "Select": "COUNT",
            },
        )
        while True:
            page = self._c.query(**kwargs)
            total += int(page.get("Count", 0))
            if "LastEvaluatedKey" not in page:
                return total
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # --- timetables --------------------------------------------------------------------------
    def get_timetable(self, area_id: str) -> Timetable | None:
        item = self._get(f"AREA#{area_id}", "TIMETABLE")
        return timetable_from_json(item["body"]) if item else None

    def save_timetable(self, timetable: Timetable) -> None:
        self._c.put_item(
            TableName=self.table,
            Item=_item(pk=f"AREA#{timetable.area_id}", sk="TIMETABLE", body=timetable_to_json(timetable)),
        )

    def get_schedule(self, area_id: str) -> ScheduleRecord | None:
        item = self._get(f"AREA#{area_id}", "SCHEDULE")
        if item is None:
            return None
        return ScheduleRecord(item["hash"], item["slots"], datetime.fromisoformat(item["covers_until"]))

    def record_schedule(
        self, area_id: str, record: ScheduleRecord, expected_hash: str | None, outbox: Sequence[Event]
    ) -> bool:
        put: dict[str, Any] = {
            "TableName": self.table,
            "Item": _item(
                pk=f"AREA#{area_id}",
                sk="SCHEDULE",
                hash=record.content_hash,
                slots=record.slots_json,
                covers_until=record.covers_until.isoformat(),
            ),
        }
        if expected_hash is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "#h = :h"
            put["ExpressionAttributeNames"] = {"#h": "hash"}
            put["ExpressionAttributeValues"] = {":h": _ser.serialize(expected_hash)}
        return self._transact([{"Put": put}, *self._outbox_puts(outbox)]) is None

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
            raise SubscriptionLimitError(f"chat {sub.chat_id} already follows {limit} areas")
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
