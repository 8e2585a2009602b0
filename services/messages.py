"""Every sentence loadshed says to people, in one place. HTML parse mode; user text is escaped.

Times are SAST; stage words are the ones South Africans use ("Stage 4", "Load shedding suspended").
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime, timedelta

from schemas import OutageSlot, UpcomingStage
from services.domain.slots import SAST
from services.ports import (
    AreaNotFoundError,
    QuotaExceededError,
    UpstreamAuthError,
    UpstreamError,
    UpstreamRequestError,
)

REGION_NAMES = {"national": "Eskom (national)", "capetown": "City of Cape Town"}
COMMANDS: tuple[tuple[str, str], ...] = (
    ("status", "Current stage, national and Cape Town"),
    ("schedule", "Today's and tomorrow's outages for your areas"),
    ("search", "Find your area: /search Observatory"),
    ("nearby", "Areas near a location you share"),
    ("subscribe", "Follow an area by id"),
    ("unsubscribe", "Stop following an area"),
    ("areas", "The areas you follow"),
    ("remind", "Reminder lead time: /remind 30 or /remind off"),
    ("quiet", "Quiet hours: /quiet 22:00-06:00 or /quiet off"),
    ("calendar", "Next 7 days of outages as a calendar file"),
    ("refresh", "Check stage and schedules now"),
    ("help", "What I can do"),
)


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def stage_words(stage: int) -> str:
    return "Load shedding suspended" if stage == 0 else f"Stage {stage}"


def hhmm(moment: datetime) -> str:
    return moment.astimezone(SAST).strftime("%H:%M")


def day_label(moment: datetime, now: datetime) -> str:
    day, today = moment.astimezone(SAST).date(), now.astimezone(SAST).date()
    if day == today:
        return "today"
    if day == today + timedelta(days=1):
        return "tomorrow"
    return moment.astimezone(SAST).strftime("%a %d %b")


def relative(moment: datetime, now: datetime) -> str:
    minutes = round((moment - now).total_seconds() / 60)
    if minutes <= 0:
        return "now"
    if minutes < 60:
        return f"in {minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"in {hours} h" + (f" {rest} min" if rest else "")


def slot_kind(slot: OutageSlot) -> str:
    """ "Stage 4", or the upstream's own words for an outage that is not a stage slot."""
    return esc(slot.note) if slot.note else f"Stage {slot.stage}"


def slot_line(slot: OutageSlot, now: datetime) -> str:
    return f"{day_label(slot.start, now)} {hhmm(slot.start)}–{hhmm(slot.end)} ({slot_kind(slot)})"


def _next_stages(next_stages: Sequence[UpcomingStage], now: datetime) -> str:
    if not next_stages:
        return ""
    parts = [f"{stage_words(n.stage)} from {day_label(n.starts_at, now)} {hhmm(n.starts_at)}" for n in next_stages[:3]]
    return "\nAnnounced: " + "; ".join(parts)


def stage_changed(
    region: str,
    stage: int,
    previous: int | None,
    next_stages: Sequence[UpcomingStage],
    areas: Sequence[tuple[str, Sequence[OutageSlot] | None]],
    now: datetime,
) -> str:
    """`areas`: (name, slots) per area the chat follows; slots None while its timetable is
    still being fetched."""
    head = f"⚡ <b>{stage_words(stage)}</b> — {REGION_NAMES.get(region, region)}"
    if previous is not None:
        head += f" (was {stage_words(previous).lower() if previous == 0 else f'Stage {previous}'})"
    lines = [head + _next_stages(next_stages, now)]
    for name, slots in areas:
        if slots is None:
            lines.append(f"• {esc(name)}: timetable on its way — I'll send it as soon as I have it")
            continue
        upcoming = [s for s in slots if s.end > now][:2]
        if upcoming:
            first = upcoming[0]
            when = "now" if first.start <= now else relative(first.start, now)
            lines.append(f"• {esc(name)}: next off {slot_line(first, now)}, {when}")
        else:
            lines.append(f"• {esc(name)}: no outages in the next 24 hours")
    return "\n".join(lines)


def schedule_updated(
    area_name: str, slots: Sequence[OutageSlot], stale: bool, now: datetime, first: bool = False
) -> str:
    """A changed schedule — or, `first`, the schedule of an area just followed."""
    head = "🗓 Schedule for" if first else "🗓 Schedule changed for"
    lines = [f"{head} <b>{esc(area_name)}</b>"]
    upcoming = [s for s in slots if s.end > now][:4]
    lines += [f"• {slot_line(s, now)}" for s in upcoming] or ["• no outages in the coming days"]
    if stale:
        lines.append("(could not refresh the timetable; showing the last one we have)")
    return "\n".join(lines)


def reminder(area_name: str, slot: OutageSlot, now: datetime) -> str:
    return (
        f"⏰ <b>{esc(area_name)}</b>: power goes off {relative(slot.start, now)}, "
        f"{hhmm(slot.start)}–{hhmm(slot.end)} ({slot_kind(slot)})"
    )


def help_text() -> str:
    lines = [
        "I tell you about load shedding for the areas you follow: on every change, and shortly "
        "before your power goes off.",
        "",
    ]
    lines += [f"/{name} — {esc(description)}" for name, description in COMMANDS]
    return "\n".join(lines)


_STEP_WORDS = {
    "FetchStage": "checking the stage",
    "FetchSchedule": "reading your areas' timetables",
    "Notify": "sending the result",
}


def refresh_failed(step: str) -> str:
    """Said to the requester; the workflow's state names stay in the logs."""
    doing = _STEP_WORDS.get(step, "checking")
    return (
        f"Sorry, I could not finish the refresh: {doing} did not work just now. "
        "I keep using the last data I have; please try again later."
    )


def upstream_trouble(exc: Exception) -> str:
    """What went wrong upstream, in words a person reads (never an exception class)."""
    if isinstance(exc, QuotaExceededError):
        return "today's EskomSePush allowance is used up"
    if isinstance(exc, UpstreamAuthError):
        return "EskomSePush refused this bot's key"
    if isinstance(exc, (AreaNotFoundError, UpstreamRequestError)):
        return "EskomSePush did not accept the request"
    if isinstance(exc, UpstreamError):
        return "EskomSePush is not answering"
    return "something went wrong"


class Reply:
    """The bot's replies to commands."""

    unknown_area = "EskomSePush knows no area <code>{id}</code>. Find yours with /search NAME or /nearby."
    lookup_unavailable = "I can't look that area up right now ({why}). Please try again later."
    schedule_follows = "I'm fetching its timetable and will send the schedule in a moment."
    bad_area_id = "That doesn't look like an area id. Find yours with /search NAME."
    subscribed = "✅ You now follow <b>{name}</b>. I'll tell you about changes and remind you before outages."
    already = "You already follow <b>{name}</b>."
    limit = "You follow {limit} areas already — the most I allow. /unsubscribe one first."
    unsubscribed = "Done: you no longer follow <b>{name}</b>."
    not_following = "You don't follow <code>{id}</code>. See /areas."
    pick_unsubscribe = "Which area should I stop? Tap one:"
    no_areas = "You don't follow any area yet. Try /search followed by your suburb."
    search_usage = "Tell me what to look for, e.g. <code>/search Observatory</code> — or use /nearby."
    share_location_button = "📍 Share my location"
    nearby_ask = "Share your location and I'll list the load-shedding areas around it."
    nearby_group = "Send a location here (📎 → Location) and I'll list the load-shedding areas around it."
    nearby_none = "EskomSePush lists no areas near that location."
    nearby_results = "Areas near that location — tap to follow:"
    search_wait = "One search every {seconds} seconds, please."
    search_none = "No areas match <b>{text}</b>. Try a shorter or different name."
    search_results = "Areas matching <b>{text}</b> — tap to follow:"
    search_unavailable = "Search is not available right now ({why}). Please try again later."
    search_disabled = "Area search needs an EskomSePush API key, which this bot doesn't have."
    remind_set = "Reminders {minutes} minutes before each outage."
    remind_off = "Reminders are off. /remind 30 turns them back on."
    remind_usage = "Use /remind MINUTES (5–720) or /remind off."
    quiet_set = "Quiet hours {start}–{end} SAST: no reminders then, other messages arrive silently."
    quiet_off = "Quiet hours are off."
    quiet_usage = "Use /quiet HH:MM-HH:MM (e.g. /quiet 22:00-06:00) or /quiet off."
    refresh_started = "🔄 Checking the stage and your schedules now; I'll report back shortly."
    refresh_wait = "A refresh was just done. You can ask again in a few minutes."
    broadcast_started = "🔄 Refresh for every subscriber started."
    not_admin = "That command is for the bot's admins."
    calendar_caption = "Outages for the next 7 days (SAST). Open the file to add them to your calendar."
    calendar_empty = "No outages expected in the next 7 days for your areas."
    schedule_unknown = "I don't have a timetable for <b>{name}</b> yet — it usually arrives within a minute."
    button_expired = "That button has expired; search again."
    text_hint = "Send /help to see what I can do."


def areas_list(items: Sequence[tuple[str, str]]) -> str:
    return "You follow:\n" + "\n".join(f"• <b>{esc(name)}</b> — <code>{esc(area)}</code>" for area, name in items)


def status(stages: Sequence[tuple[str, int, datetime, Sequence[UpcomingStage]]], now: datetime) -> str:
    if not stages:
        return "I don't know the stage yet — the first check runs within a few minutes."
    lines = []
    for region, stage, changed_at, upcoming in stages:
        lines.append(
            f"<b>{REGION_NAMES.get(region, region)}</b>: {stage_words(stage)} "
            f"(since {day_label(changed_at, now)} {hhmm(changed_at)}){_next_stages(upcoming, now)}"
        )
    return "\n".join(lines)


def schedule(area_name: str, slots: Sequence[OutageSlot], stale: bool, now: datetime) -> str:
    lines = [f"<b>{esc(area_name)}</b> — today and tomorrow (SAST)"]
    lines += [f"• {slot_line(s, now)}" for s in slots] or ["• no outages expected"]
    if stale:
        lines.append("(timetable could not be refreshed lately; it may be out of date)")
    return "\n".join(lines)
