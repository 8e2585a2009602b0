"""The bot's commands. Each takes the parsed command and the bot's dependencies and replies."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from uuid import uuid4

from schemas import RefreshRequested, SubscriptionChanged
from services import messages
from services.bot.calendar import outages_ics
from services.bot.parse import Command
from services.chats import QuietHoursError, parse_quiet
from services.domain.areas import AREA_ID, region_of_area
from services.domain.slots import SAST, compute_slots
from services.messages import Reply, esc
from services.ports import (
    Button,
    Clock,
    Messenger,
    Publisher,
    Store,
    SubscriptionLimitError,
    SubscriptionRecord,
    TimetableSource,
    UpstreamError,
)
from services.relay import relay

MAX_AREAS = 10
SEARCH_SECONDS = 10
REFRESH_SECONDS = 300
DAY = 86400


@dataclass
class BotDeps:
    store: Store
    messenger: Messenger
    publisher: Publisher
    clock: Clock
    timetables: TimetableSource | None = None
    bot_username: str | None = None
    admin_chats: frozenset[int] = field(default_factory=frozenset)


def short_id(area_id: str) -> str:
    """Callback data is limited to 64 bytes; area ids can be longer, so buttons carry a digest."""
    return hashlib.sha256(area_id.encode()).hexdigest()[:16]


def remember_area(deps: BotDeps, area_id: str, name: str) -> None:
    now = deps.clock.now()
    deps.store.put_value(f"area:{area_id}", name, ttl_seconds=30 * DAY, now=now)
    deps.store.put_value(f"pick:{short_id(area_id)}", json.dumps([area_id, name]), ttl_seconds=7 * DAY, now=now)


def area_name(deps: BotDeps, area_id: str) -> str | None:
    """The name of an area we know (from a timetable or a search); None if unknown."""
    tt = deps.store.get_timetable(area_id)
    if tt is not None:
        return tt.name
    return deps.store.get_value(f"area:{area_id}", now=deps.clock.now())


def picked(deps: BotDeps, sid: str) -> tuple[str, str] | None:
    raw = deps.store.get_value(f"pick:{sid}", now=deps.clock.now())
    if not raw:
        return None
    area_id, name = json.loads(raw)
    return str(area_id), str(name)


def say(deps: BotDeps, chat_id: int, text: str, buttons: list[list[Button]] | None = None) -> None:
    deps.messenger.send_text(chat_id, text, buttons=buttons or [])


def subscribe(deps: BotDeps, chat_id: int, area_id: str, name: str) -> str:
    event = SubscriptionChanged(
        chat_id=chat_id, area_id=area_id, area_name=name, action="added", occurred_at=deps.clock.now()
    )
    try:
        settings = deps.store.get_settings(chat_id)
        record = SubscriptionRecord(
            chat_id, area_id, name, settings.remind_minutes, settings.quiet_start, settings.quiet_end
        )
        added = deps.store.add_subscription(record, [event], MAX_AREAS)
    except SubscriptionLimitError:
        return Reply.limit.format(limit=MAX_AREAS)
    relay(deps.store, deps.publisher, deps.clock)
    return (Reply.subscribed if added else Reply.already).format(name=esc(name))


def unsubscribe(deps: BotDeps, chat_id: int, area_id: str, name: str | None) -> str:
    event = SubscriptionChanged(
        chat_id=chat_id, area_id=area_id, area_name=name, action="removed", occurred_at=deps.clock.now()
    )
    if not deps.store.remove_subscription(chat_id, area_id, [event]):
        return Reply.not_following.format(id=esc(area_id))
    relay(deps.store, deps.publisher, deps.clock)
    return Reply.unsubscribed.format(name=esc(name or area_id))


def cmd_search(cmd: Command, deps: BotDeps) -> None:
    text = " ".join(cmd.args.split())[:64]
    if len(text) < 2:
        return say(deps, cmd.chat_id, Reply.search_usage)
    if deps.timetables is None:
        return say(deps, cmd.chat_id, Reply.search_disabled)
    now = deps.clock.now()
    cache_key = f"search:{text.lower()}"
    cached = deps.store.get_value(cache_key, now=now)
    if cached is None:
        if not deps.store.claim(f"rate:search:{cmd.chat_id}", now, SEARCH_SECONDS):
            return say(deps, cmd.chat_id, Reply.search_wait.format(seconds=SEARCH_SECONDS))
        try:
            hits = [[h.area_id, h.name, h.region] for h in deps.timetables.search(text)][:8]
        except UpstreamError as exc:
            return say(deps, cmd.chat_id, Reply.search_unavailable.format(why=esc(type(exc).__name__)))
        cached = json.dumps(hits)
        deps.store.put_value(cache_key, cached, ttl_seconds=DAY, now=now)
    results = json.loads(cached)
    if not results:
        return say(deps, cmd.chat_id, Reply.search_none.format(text=esc(text)))
    buttons = []
    for area_id, name, region in results:
        remember_area(deps, area_id, name)
        label = f"{name} — {region}"[:60]
        buttons.append([Button(label, f"sub:{short_id(area_id)}")])
    return say(deps, cmd.chat_id, Reply.search_results.format(text=esc(text)), buttons)


def cmd_subscribe(cmd: Command, deps: BotDeps) -> None:
    area_id = cmd.args.split()[0] if cmd.args else ""
    if not AREA_ID.match(area_id):
        return say(deps, cmd.chat_id, Reply.bad_area_id)
    name = area_name(deps, area_id)
    if name is None:
        return say(deps, cmd.chat_id, Reply.unknown_area.format(id=esc(area_id)))
    return say(deps, cmd.chat_id, subscribe(deps, cmd.chat_id, area_id, name))


def cmd_unsubscribe(cmd: Command, deps: BotDeps) -> None:
    subs = deps.store.chat_subscriptions(cmd.chat_id)
    if cmd.args:
        area_id = cmd.args.split()[0]
        name = next((s.area_name for s in subs if s.area_id == area_id), None)
        return say(deps, cmd.chat_id, unsubscribe(deps, cmd.chat_id, area_id, name))
    if not subs:
        return say(deps, cmd.chat_id, Reply.no_areas)
    if len(subs) == 1:
        return say(deps, cmd.chat_id, unsubscribe(deps, cmd.chat_id, subs[0].area_id, subs[0].area_name))
    for s in subs:
        remember_area(deps, s.area_id, s.area_name or s.area_id)
    buttons = [[Button((s.area_name or s.area_id)[:60], f"unsub:{short_id(s.area_id)}")] for s in subs]
    return say(deps, cmd.chat_id, Reply.pick_unsubscribe, buttons)


def cmd_areas(cmd: Command, deps: BotDeps) -> None:
    subs = deps.store.chat_subscriptions(cmd.chat_id)
    text = messages.areas_list([(s.area_id, s.area_name or s.area_id) for s in subs]) if subs else Reply.no_areas
    say(deps, cmd.chat_id, text)


def cmd_status(cmd: Command, deps: BotDeps) -> None:
    found = [deps.store.get_stage("national"), deps.store.get_stage("capetown")]
    stages = [(r.region, r.stage, r.changed_at, r.next_stages) for r in found if r is not None]
    say(deps, cmd.chat_id, messages.status(stages, deps.clock.now()))


def _chosen(cmd: Command, deps: BotDeps) -> list[tuple[str, str]] | None:
    subs = deps.store.chat_subscriptions(cmd.chat_id)
    if cmd.args:
        area_id = cmd.args.split()[0]
        name = area_name(deps, area_id)
        if name is None:
            say(deps, cmd.chat_id, Reply.unknown_area.format(id=esc(area_id)))
            return None
        return [(area_id, name)]
    if not subs:
        say(deps, cmd.chat_id, Reply.no_areas)
        return None
    return [(s.area_id, s.area_name or s.area_id) for s in subs]


def _slots(deps: BotDeps, area_id: str, now: datetime, until: datetime) -> tuple[list, bool] | None:
    tt = deps.store.get_timetable(area_id)
    if tt is None:
        return None
    stage = deps.store.get_stage(region_of_area(area_id, tt.region_name)) or deps.store.get_stage("national")
    if stage is None:
        return None
    return compute_slots(tt, stage.stage, stage.next_stages, now, until - now, since=stage.changed_at), tt.stale


def cmd_schedule(cmd: Command, deps: BotDeps) -> None:
    areas = _chosen(cmd, deps)
    if areas is None:
        return None
    now = deps.clock.now()
    end_of_tomorrow = datetime.combine(now.astimezone(SAST).date() + timedelta(days=2), time(0), SAST)
    parts = []
    for area_id, name in areas:
        found = _slots(deps, area_id, now, end_of_tomorrow)
        parts.append(
            Reply.schedule_unknown.format(name=esc(name))
            if found is None
            else messages.schedule(name, found[0], found[1], now)
        )
    return say(deps, cmd.chat_id, "\n\n".join(parts))


def cmd_calendar(cmd: Command, deps: BotDeps) -> None:
    areas = _chosen(cmd, deps)
    if areas is None:
        return
    now = deps.clock.now()
    entries = []
    for area_id, name in areas:
        found = _slots(deps, area_id, now, now + timedelta(days=7))
        if found and found[0]:
            entries.append((area_id, name, found[0]))
    if not entries:
        say(deps, cmd.chat_id, Reply.calendar_empty)
        return
    deps.messenger.send_document(cmd.chat_id, "load-shedding.ics", outages_ics(entries, now), Reply.calendar_caption)


def cmd_remind(cmd: Command, deps: BotDeps) -> None:
    arg = cmd.args.strip().lower()
    settings = deps.store.get_settings(cmd.chat_id)
    if arg == "off":
        deps.store.save_settings(cmd.chat_id, replace(settings, remind_minutes=None))
        return say(deps, cmd.chat_id, Reply.remind_off)
    if not arg.isdigit() or not 5 <= int(arg) <= 720:
        return say(deps, cmd.chat_id, Reply.remind_usage)
    deps.store.save_settings(cmd.chat_id, replace(settings, remind_minutes=int(arg)))
    return say(deps, cmd.chat_id, Reply.remind_set.format(minutes=int(arg)))


def cmd_quiet(cmd: Command, deps: BotDeps) -> None:
    arg = cmd.args.strip().lower()
    settings = deps.store.get_settings(cmd.chat_id)
    if arg == "off":
        deps.store.save_settings(cmd.chat_id, replace(settings, quiet_start=None, quiet_end=None))
        return say(deps, cmd.chat_id, Reply.quiet_off)
    try:
        start, end = parse_quiet(arg)
    except QuietHoursError:
        return say(deps, cmd.chat_id, Reply.quiet_usage)
    deps.store.save_settings(cmd.chat_id, replace(settings, quiet_start=start, quiet_end=end))
    return say(deps, cmd.chat_id, Reply.quiet_set.format(start=start, end=end))


def _request_refresh(deps: BotDeps, chat_id: int, scope: str) -> None:
    event = RefreshRequested(
        request_id=uuid4(), scope="all" if scope == "all" else "chat", chat_id=chat_id, occurred_at=deps.clock.now()
    )
    deps.store.enqueue([event])
    relay(deps.store, deps.publisher, deps.clock)


def cmd_refresh(cmd: Command, deps: BotDeps) -> None:
    if not deps.store.claim(f"rate:refresh:{cmd.chat_id}", deps.clock.now(), REFRESH_SECONDS):
        return say(deps, cmd.chat_id, Reply.refresh_wait)
    _request_refresh(deps, cmd.chat_id, "chat")
    return say(deps, cmd.chat_id, Reply.refresh_started)


def cmd_broadcast_refresh(cmd: Command, deps: BotDeps) -> None:
    if cmd.chat_id not in deps.admin_chats:
        return say(deps, cmd.chat_id, Reply.not_admin)
    _request_refresh(deps, cmd.chat_id, "all")
    return say(deps, cmd.chat_id, Reply.broadcast_started)


def cmd_help(cmd: Command, deps: BotDeps) -> None:
    say(deps, cmd.chat_id, messages.help_text())


COMMANDS = {
    "start": cmd_help,
    "help": cmd_help,
    "search": cmd_search,
    "subscribe": cmd_subscribe,
    "unsubscribe": cmd_unsubscribe,
    "areas": cmd_areas,
    "status": cmd_status,
    "schedule": cmd_schedule,
    "remind": cmd_remind,
    "quiet": cmd_quiet,
    "calendar": cmd_calendar,
    "refresh": cmd_refresh,
    "broadcast_refresh": cmd_broadcast_refresh,
}
