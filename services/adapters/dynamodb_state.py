"""`DynamoDBStore`'s stage with its outbox, and the timetables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from schemas import Event
from schemas.events import Region
from services.adapters.codec import (
    event_from_json,
    next_stages_from_json,
    stage_record_fields,
    timetable_from_json,
    timetable_to_json,
)
from services.adapters.dynamodb_base import (
    DynamoDBBase,
    _item,
    _ser,
)
from services.ports import (
    OutboxItem,
    ScheduleRecord,
    StageRecord,
    Timetable,
)


class StageOutboxTimetables(DynamoDBBase):
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
