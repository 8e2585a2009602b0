"""Normalisation of timetables into slots: SAST, midnight crossing, merging, 4 arrays, events."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from schemas import UpcomingStage
from services.adapters.esp import timetable_from_esp
from services.adapters.esp_models import EspArea
from services.domain.areas import region_of_area
from services.domain.slots import (
    SAST,
    compute_slots,
    content_hash,
    coverage_end,
    parse_slot,
    same_in_window,
)
from services.ports import Timetable, TimetableDay, TimetableEvent
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


def test_an_event_overrides_the_timetable_only_for_its_own_time_range():
    """ESP `area?test=current` (issue 10): timetable 06:00–10:30, 14:00–18:30, 22:00–00:30 with one
    event 08:00–10:30 "Stage 2". The event replaces the slot it overlaps; the rest of the day keeps
    its slots (the old code dropped them all)."""
    ev = TimetableEvent(
        datetime(2026, 11, 23, 8, 0, tzinfo=SAST), datetime(2026, 11, 23, 10, 30, tzinfo=SAST), "Stage 2"
    )
    tt = _tt((D, ((), ("06:00-10:30", "14:00-18:30", "22:00-00:30"))), events=(ev,))
    assert _hm(compute_slots(tt, 2, (), MON_0000, timedelta(days=1))) == [
        ("Mon 08:00", "Mon 10:30", 2),
        ("Mon 14:00", "Mon 18:30", 2),
        ("Mon 22:00", "Tue 00:30", 2),
    ]
    # after a stage change the event (computed for stage 2) no longer applies: the timetable rules
    assert _hm(compute_slots(tt, 1, (), MON_0000)) == []


def test_a_load_reduction_event_is_an_outage_of_its_own_kind_at_any_stage():
    """City Power publishes "Load Reduction" events with no stage number (issue 10): shown with
    their note, at stage 0 too, never as "Stage 2"."""
    ev = TimetableEvent(
        datetime(2026, 11, 23, 17, 0, tzinfo=SAST), datetime(2026, 11, 23, 19, 30, tzinfo=SAST), "Load Reduction"
    )
    tt = _tt((D, ((), ("18:00-20:30",))), events=(ev,))
    at_zero = compute_slots(tt, 0, (), MON_0000)
    assert [(s.start.hour, s.end.hour, s.note) for s in at_zero] == [(17, 19, "Load Reduction")]
    at_two = compute_slots(tt, 2, (), MON_0000)
    assert [(s.start.hour, s.note) for s in at_two] == [(17, "Load Reduction"), (18, None)]
    assert content_hash(at_zero) != content_hash(compute_slots(_tt((D, ((), ()))), 0, (), MON_0000))


def test_a_slot_running_when_the_stage_begins_is_listed_from_that_moment():
    """Stage 4 from 06:00 (issue 10, the demo): the stage-4 slot 04:00–06:30 began under stage 0;
    it is listed as 06:00–06:30, and a stage-2 slot before the announced change is not stretched."""
    six = datetime(2026, 11, 23, 6, 0, tzinfo=SAST)
    tt = _tt((D, ((), (), (), ("04:00-06:30", "12:00-14:30"))))
    assert _hm(compute_slots(tt, 4, (), six, since=six)) == [
        ("Mon 06:00", "Mon 06:30", 4),
        ("Mon 12:00", "Mon 14:30", 4),
    ]
    # announced: stage 4 from 13:00 while stage 2 now; the 12:00 stage-4 slot counts from 13:00
    tt2 = _tt((D, ((), ("08:00-10:30",), (), ("12:00-14:30",))))
    later = [UpcomingStage(stage=4, starts_at=datetime(2026, 11, 23, 13, 0, tzinfo=SAST))]
    assert _hm(compute_slots(tt2, 2, later, six, timedelta(hours=12), since=six)) == [
        ("Mon 08:00", "Mon 10:30", 2),
        ("Mon 13:00", "Mon 14:30", 4),
    ]


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
