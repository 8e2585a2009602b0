"""Normalisation of timetables into slots: SAST, midnight crossing, merging, 4 arrays, events."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from schemas import UpcomingStage
from services.adapters.esp import timetable_from_esp
from services.adapters.esp_models import EspArea
from services.ports import Timetable, TimetableDay, TimetableEvent
from services.schedule_fetcher.slots import (
    SAST,
    compute_slots,
    content_hash,
    coverage_end,
    parse_slot,
    region_of_area,
    same_in_window,
)
from tests.conftest import FIXTURES


def _fixture(name: str) -> Timetable:
    area = EspArea.model_validate_json((FIXTURES / name).read_bytes())
    return timetable_from_esp("area-x", area, datetime(2022, 8, 8, tzinfo=SAST))


def _tt(*days: tuple[date, tuple[tuple[str, ...], ...]], events=()) -> Timetable:
    return Timetable("a", "Area", "R", tuple(TimetableDay(d, s) for d, s in days), tuple(events))


def _hm(slots):
    return [(s.start.strftime("%a %H:%M"), s.end.strftime("%a %H:%M"), s.stage) for s in slots]


D = date(2026, 11, 23)  # a Monday
MON_0000 = datetime(2026, 11, 23, 0, 0, tzinfo=SAST)


def test_parse_slot_crosses_midnight_in_sast():
    start, end = parse_slot(D, "22:00-00:30")
    assert start.isoformat() == "2026-11-23T22:00:00+02:00"
    assert end.isoformat() == "2026-11-24T00:30:00+02:00"
    assert parse_slot(D, "23:00 - 1:30")[1].isoformat() == "2026-11-24T01:30:00+02:00"
    assert parse_slot(D, "22:00-24:00")[1].isoformat() == "2026-11-24T00:00:00+02:00"


def test_real_fixture_midnight_slot_at_stage_6():
    tt = _fixture("esp/v2/area.json")
    now = datetime(2022, 8, 8, 0, 0, tzinfo=SAST)
    slots = compute_slots(Timetable(**{**tt.__dict__, "events": ()}), 6, (), now, timedelta(days=1))
    assert ("Mon 20:00", "Tue 00:30", 6) in _hm(slots)
    assert all(s.start.tzinfo is not None for s in slots)


def test_radiokop_real_capture_has_midnight_slots_at_stage_8():
    tt = _fixture("esp/v2/area-radiokop-midnight.json")
    slots = compute_slots(Timetable(**{**tt.__dict__, "events": ()}), 8, (), datetime(2022, 10, 17, tzinfo=SAST))
    crossing = [s for s in slots if s.end.date() > s.start.date()]
    assert crossing and all(s.end - s.start <= timedelta(hours=5) for s in crossing)


def test_adjacent_and_overlapping_slots_merge():
    tt = _tt((D, (("10:00-12:00", "12:00-14:30", "14:00-15:00"),)))
    assert _hm(compute_slots(tt, 1, (), MON_0000)) == [("Mon 10:00", "Mon 15:00", 1)]


def test_slot_crossing_midnight_merges_with_next_days_early_slot():
    tt = _tt((D, (("22:00-00:30",),)), (D + timedelta(days=1), (("00:30-02:00",),)))
    assert _hm(compute_slots(tt, 1, (), MON_0000)) == [("Mon 22:00", "Tue 02:00", 1)]


def test_four_stage_region_uses_highest_array_for_higher_stages():
    tt = _tt((D, (("01:00-02:00",), ("03:00-04:00",), ("05:00-06:00",), ("07:00-08:00",))))
    assert _hm(compute_slots(tt, 4, (), MON_0000)) == [("Mon 07:00", "Mon 08:00", 4)]
    assert _hm(compute_slots(tt, 7, (), MON_0000)) == [("Mon 07:00", "Mon 08:00", 7)]


def test_stage_zero_and_unaffected_area_give_no_slots():
    tt = _tt((D, (("01:00-02:00",), (), (), ())))
    assert compute_slots(tt, 0, (), MON_0000) == []
    assert compute_slots(tt, 2, (), MON_0000) == []
    assert compute_slots(_tt(), 4, (), MON_0000) == []


def test_past_slots_drop_off_and_horizon_applies():
    tt = _tt(*((D + timedelta(days=i), (("08:00-10:00",),)) for i in range(10)))
    now = datetime(2026, 11, 23, 9, 0, tzinfo=SAST)
    slots = compute_slots(tt, 1, (), now)
    assert slots[0].start.day == 23  # in progress: kept
    assert len(slots) == 8  # Mon 09:00 + 7 days still includes next Monday 08:00
    assert coverage_end(tt, now) == now + timedelta(days=7)


def test_announced_next_stages_decide_each_slot():
    tt = _tt((D, (("06:00-08:00",), ("06:00-08:00", "18:00-20:00"))))
    going_up = [UpcomingStage(stage=2, starts_at=datetime(2026, 11, 23, 16, 0, tzinfo=SAST))]
    assert _hm(compute_slots(tt, 1, going_up, MON_0000)) == [
        ("Mon 06:00", "Mon 08:00", 1),
        ("Mon 18:00", "Mon 20:00", 2),
    ]
    suspended = [UpcomingStage(stage=0, starts_at=datetime(2026, 11, 23, 12, 0, tzinfo=SAST))]
    assert _hm(compute_slots(tt, 2, suspended, MON_0000)) == [("Mon 06:00", "Mon 08:00", 2)]


def test_events_take_precedence_on_their_days_when_for_the_stage_in_force():
    ev = TimetableEvent(
        datetime(2026, 11, 23, 20, 0, tzinfo=SAST), datetime(2026, 11, 23, 22, 30, tzinfo=SAST), "Stage 2"
    )
    tt = _tt((D, ((), ("12:00-14:30",))), (D + timedelta(days=1), ((), ("04:00-06:30",))), events=(ev,))
    assert _hm(compute_slots(tt, 2, (), MON_0000)) == [("Mon 20:00", "Mon 22:30", 2), ("Tue 04:00", "Tue 06:30", 2)]
    # after a stage change the events (computed for stage 2) no longer apply: the timetable rules
    assert _hm(compute_slots(tt, 1, (), MON_0000)) == []


def test_hash_and_window_comparison():
    tt = _tt((D, (("08:00-10:00", "18:00-20:00"),)), (D + timedelta(days=1), (("08:00-10:00",),)))
    early = compute_slots(tt, 1, (), MON_0000)
    later_now = datetime(2026, 11, 23, 12, 0, tzinfo=SAST)
    later = compute_slots(tt, 1, (), later_now)
    assert content_hash(early) != content_hash(later)  # the morning slot dropped off
    assert same_in_window(early, later, later_now, later_now + timedelta(days=2))  # but nothing changed
    assert len(content_hash(early)) == 64


def test_region_of_area():
    assert region_of_area("capetown-15-observatory") == "capetown"
    assert region_of_area("eskde-4-stellenboschnucityofcapetownwesterncape") == "national"
