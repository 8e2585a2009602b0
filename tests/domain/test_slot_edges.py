"""The slot rules at their edges: the boundaries mutation testing (`make mutate`) found unguarded."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from schemas import OutageSlot, UpcomingStage
from services.domain.areas import is_stale
from services.domain.slots import (
    SAST,
    compute_slots,
    content_hash,
    coverage_end,
    end_of_tomorrow,
    parse_slot,
    same_in_window,
    slots_from_json,
    slots_json,
    stage_at,
    stage_timeline,
)
from services.ports import Timetable, TimetableDay, TimetableEvent

D = date(2026, 11, 23)


def at(hour: int, minute: int = 0, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SAST)


def tt(stages: tuple[tuple[str, ...], ...], events: tuple[TimetableEvent, ...] = (), days: int = 1) -> Timetable:
    return Timetable("a", "A", "R", tuple(TimetableDay(D + timedelta(days=i), stages) for i in range(days)), events)


def test_parse_slot_edges():
    assert parse_slot(D, "22:00-24:00") == (at(22), at(0, day=24))  # 24:00 is the next midnight
    assert parse_slot(D, " 8:00 - 10:30 ") == (at(8), at(10, 30))  # unpadded, spaced (Eskom's HTML)
    assert parse_slot(D, "10:00-10:00") == (at(10), at(10, day=24))  # equal ends: a whole day, not nothing


def test_stage_timeline_orders_announcements_and_stage_at_reads_them():
    announced = [
        UpcomingStage(stage=0, starts_at=at(22)),
        UpcomingStage(stage=4, starts_at=at(16)),
    ]
    timeline = stage_timeline(2, announced, since=at(6))
    assert timeline == [(at(6), 2), (at(16), 4), (at(22), 0)]
    assert [stage_at(timeline, at(h)) for h in (7, 16, 21, 23)] == [2, 4, 4, 0]
    assert stage_at([(None, 3), (at(10), 5)], at(9, 59)) == 3


def test_a_slot_ending_exactly_when_a_stage_begins_is_not_that_stages():
    stages = ((), ("08:00-10:00",), (), ("10:00-12:00",))
    later = [UpcomingStage(stage=4, starts_at=at(10))]
    got = compute_slots(tt(stages), 2, later, at(0), timedelta(hours=13), since=at(0))
    assert [(s.start, s.end, s.stage) for s in got] == [(at(8), at(12), 4)]  # adjacent: merged, highest stage
    just_before = [UpcomingStage(stage=4, starts_at=at(12))]
    got = compute_slots(tt(stages), 2, just_before, at(0), timedelta(hours=13), since=at(0))
    assert [(s.start, s.end) for s in got] == [(at(8), at(10))]  # the stage-4 slot starts as stage 2 ends


def test_a_slot_that_ended_at_now_is_gone_and_merged_output_is_sorted():
    got = compute_slots(tt((("06:00-08:00", "18:00-20:00", "12:00-14:00"),)), 1, (), at(8))
    assert [s.start.hour for s in got] == [12, 18]


def test_an_event_that_touches_a_slot_only_at_its_end_leaves_it():
    ev = TimetableEvent(at(10), at(12), "Stage 2")
    got = compute_slots(tt(((), ("08:00-10:00", "14:00-16:00")), (ev,)), 2, (), at(0))
    assert [(s.start.hour, s.end.hour) for s in got] == [(8, 12), (14, 16)]  # adjacent: kept and merged


def test_events_with_no_length_or_for_stage_0_are_ignored_and_a_blank_note_is_an_outage():
    empty = TimetableEvent(at(10), at(10), "Stage 2")
    zero = TimetableEvent(at(11), at(12), "Stage 0")
    blank = TimetableEvent(at(13), at(14), "  ")
    got = compute_slots(tt(((),), (empty, zero, blank)), 0, (), at(0))
    assert [(s.start.hour, s.note) for s in got] == [(13, "Outage")]


def test_coverage_end_is_the_end_of_the_last_day_capped_by_the_horizon():
    assert coverage_end(tt(((),), days=2), at(9)) == at(0, day=25)
    assert coverage_end(tt(((),), days=30), at(9), timedelta(days=7)) == at(9) + timedelta(days=7)
    assert coverage_end(Timetable("a", "A", "R", ()), at(9)) == at(9)


def test_end_of_tomorrow_in_sast():
    assert end_of_tomorrow(at(23, 30)) == at(0, day=25)
    assert end_of_tomorrow(datetime(2026, 11, 23, 22, 30, tzinfo=SAST).astimezone(SAST)) == at(0, day=25)


def test_slots_round_trip_through_json_with_their_notes():
    slots = [
        OutageSlot(start=at(8), end=at(10), stage=2),
        OutageSlot(start=at(17), end=at(19), stage=0, note="Load Reduction"),
    ]
    assert slots_from_json(slots_json(slots)) == slots
    without_note = [slots[0], OutageSlot(start=at(17), end=at(19), stage=0)]
    assert content_hash(slots) != content_hash(without_note)


def test_same_in_window_looks_only_at_the_window():
    a = [OutageSlot(start=at(8), end=at(10), stage=2), OutageSlot(start=at(20), end=at(22), stage=2)]
    b = [OutageSlot(start=at(8), end=at(10), stage=2), OutageSlot(start=at(20), end=at(22), stage=4)]
    assert same_in_window(a, b, at(6), at(12))
    assert not same_in_window(a, b, at(6), at(21))
    assert same_in_window(a, b, at(10), at(20))  # touching the window's edges only


def test_staleness_boundary():
    now = at(12)
    assert not is_stale(now - timedelta(hours=20), now, timedelta(hours=20))


def test_the_hash_moves_with_each_end_of_a_slot():
    base = [OutageSlot(start=at(8), end=at(10), stage=2)]
    later_start = [OutageSlot(start=at(8, 30), end=at(10), stage=2)]
    later_end = [OutageSlot(start=at(8), end=at(10, 30), stage=2)]
    assert len({content_hash(base), content_hash(later_start), content_hash(later_end)}) == 3


def test_end_of_tomorrow_counts_days_in_sast_not_in_the_given_zone():
    from datetime import timezone

    late_utc = datetime(2026, 11, 23, 22, 30, tzinfo=timezone.utc)  # already 00:30 on the 24th in SAST
    assert end_of_tomorrow(late_utc) == at(0, day=26)
