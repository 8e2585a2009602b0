"""`DynamoSendSlots`: the global Telegram rate shared by every container through the table.

One item (`RATE#telegram` / `NEXT`) holds the time of the next free send slot. A container takes a
block of slots at once — read it, then a conditional write that moves it on by `count × interval`
(another container's write in between fails the condition, and it reads again) — and sends at
those times. So the containers together never exceed the configured rate, even in a rolling
second, at two requests per block: with blocks of 10 at 25 msg/s, two table calls per 10 messages.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

PK, SK = "RATE#telegram", "NEXT"
ATTEMPTS = 20


class SendSlotsUnavailableError(RuntimeError):
    """The shared slot item could not be moved on after many tries (heavy contention)."""


class DynamoSendSlots:
    def __init__(self, client: Any, table: str) -> None:
        self._c, self.table = client, table
        self.calls = 0

    def reserve(self, count: int, interval: float, now: float) -> float:
        """The start of `count` consecutive slots `interval` apart, none before `now`."""
        key = {"pk": {"S": PK}, "sk": {"S": SK}}
        for _ in range(ATTEMPTS):
            self.calls += 2
            found = self._c.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
            stored = found["next"]["N"] if found else None
            start = max(now, float(stored)) if stored is not None else now
            end = Decimal(str(round(start + count * interval, 6)))
            condition = "attribute_not_exists(#n)" if stored is None else "#n = :seen"
            values: dict[str, Any] = {":end": {"N": str(end)}, ":ttl": {"N": str(int(start) + 3600)}}
            if stored is not None:
                values[":seen"] = {"N": stored}
            try:
                self._c.update_item(
                    TableName=self.table,
                    Key=key,
                    UpdateExpression="SET #n = :end, #t = :ttl",
                    ConditionExpression=condition,
                    ExpressionAttributeNames={"#n": "next", "#t": "ttl"},
                    ExpressionAttributeValues=values,
                )
                return start
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
                time.sleep(0.002)
        raise SendSlotsUnavailableError("could not reserve send slots (contention)")
