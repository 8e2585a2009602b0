"""`.ics` export of upcoming outages, built with the `icalendar` library."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from icalendar import Calendar, Event

from schemas import OutageSlot


def outages_ics(areas: Sequence[tuple[str, str, Sequence[OutageSlot]]], now: datetime) -> bytes:
    """An iCalendar file with one event per (area, slot); UIDs are stable so re-imports update."""
    cal = Calendar()
    cal.add("prodid", "-//loadshed//load-shedding outages//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Load shedding")
    for area_id, name, slots in areas:
        for slot in slots:
            event = Event()
            event.add("uid", f"{area_id}-{int(slot.start.timestamp())}@loadshed")
            event.add("summary", f"Load shedding: {name} ({slot.note or f'Stage {slot.stage}'})")
            event.add("dtstart", slot.start)
            event.add("dtend", slot.end)
            event.add("dtstamp", now)
            event.add("transp", "OPAQUE")
            cal.add_component(event)
    return bytes(cal.to_ical())
