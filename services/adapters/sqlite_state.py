"""`SQLiteStore`'s state by concern: the stage with its outbox, and the timetables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from schemas import Event
from schemas.events import Region
from services.adapters.codec import (
    event_from_json,
    next_stages_from_json,
    stage_record_fields,
    timetable_from_json,
    timetable_to_json,
)
from services.adapters.sqlite_base import SQLiteBase, _ts
from services.ports import (
    OutboxItem,
    ScheduleRecord,
    StageRecord,
    Timetable,
)


class StageOutboxTimetables(SQLiteBase):
    # --- stage -------------------------------------------------------------------------------
    def get_stage(self, region: Region) -> StageRecord | None:
        rows = self._query(
            "SELECT stage, changed_at, next_stages, observed_from, version FROM stages WHERE region = ?", region
        )
        if not rows:
            return None
        stage, changed_at, next_stages, observed_from, version = rows[0]
        return StageRecord(
            region=region,
            stage=int(str(stage)),
            changed_at=datetime.fromisoformat(str(changed_at)),
            next_stages=next_stages_from_json(str(next_stages)),
            observed_from=str(observed_from),
            version=int(str(version)),
        )

    def save_stage(self, record: StageRecord, expected_version: int | None, outbox: Sequence[Event]) -> bool:
        f = stage_record_fields(record)
        with self._tx() as db:
            if expected_version is None:
                cur = db.execute(
                    "INSERT OR IGNORE INTO stages VALUES (?, ?, ?, ?, ?, 1)",
                    (record.region, f["stage"], f["changed_at"], f["next_stages"], f["observed_from"]),
                )
            else:
                cur = db.execute(
                    "UPDATE stages SET stage = ?, changed_at = ?, next_stages = ?, observed_from = ?, version = ? "
                    "WHERE region = ? AND version = ?",
                    (
                        f["stage"],
                        f["changed_at"],
                        f["next_stages"],
                        f["observed_from"],
                        expected_version + 1,
                        record.region,
                        expected_version,
                    ),
                )
            if cur.rowcount != 1:
                return False
            self._enqueue(db, outbox)
            return True

    # --- outbox ------------------------------------------------------------------------------
    def claim_outbox(self, now: datetime, limit: int = 50, lease_seconds: int = 60) -> list[OutboxItem]:
        with self._tx() as db:
            rows = db.execute(
                "SELECT seq, body FROM outbox WHERE lease_until IS NULL OR lease_until <= ? ORDER BY seq LIMIT ?",
                (_ts(now), limit),
            ).fetchall()
            db.executemany(
                "UPDATE outbox SET lease_until = ? WHERE seq = ?", [(_ts(now) + lease_seconds, r[0]) for r in rows]
            )
        return [OutboxItem(str(seq), event_from_json(body)) for seq, body in rows]

    def mark_published(self, item_ids: Sequence[str]) -> None:
        with self._tx() as db:
            db.executemany("DELETE FROM outbox WHERE seq = ?", [(int(i),) for i in item_ids])

    def enqueue(self, events: Sequence[Event]) -> None:
        with self._tx() as db:
            self._enqueue(db, events)

    def outbox_depth(self) -> int:
        return int(str(self._query("SELECT COUNT(*) FROM outbox")[0][0]))

    # --- timetables --------------------------------------------------------------------------
    def get_timetable(self, area_id: str) -> Timetable | None:
        rows = self._query("SELECT body FROM timetables WHERE area_id = ?", area_id)
        return timetable_from_json(str(rows[0][0])) if rows else None

    def save_timetable(self, timetable: Timetable) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO timetables VALUES (?, ?) ON CONFLICT (area_id) DO UPDATE SET body = excluded.body",
                (timetable.area_id, timetable_to_json(timetable)),
            )

    def get_schedule(self, area_id: str) -> ScheduleRecord | None:
        rows = self._query("SELECT hash, slots, covers_until FROM schedules WHERE area_id = ?", area_id)
        if not rows:
            return None
        h, slots, covers = rows[0]
        return ScheduleRecord(str(h), str(slots), datetime.fromisoformat(str(covers)))

    def record_schedule(
        self, area_id: str, record: ScheduleRecord, expected_hash: str | None, outbox: Sequence[Event]
    ) -> bool:
        values = (record.content_hash, record.slots_json, record.covers_until.isoformat())
        with self._tx() as db:
            if expected_hash is None:
                cur = db.execute("INSERT OR IGNORE INTO schedules VALUES (?, ?, ?, ?)", (area_id, *values))
            else:
                cur = db.execute(
                    "UPDATE schedules SET hash = ?, slots = ?, covers_until = ? WHERE area_id = ? AND hash = ?",
                    (*values, area_id, expected_hash),
                )
            if cur.rowcount != 1:
                return False
            self._enqueue(db, outbox)
            return True
