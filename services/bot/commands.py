"""The bot's commands. Each takes the parsed command and the bot's dependencies and replies."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import uuid4

from schemas import RefreshRequested
from services import keys, messages
from services.bot.areas import (
    area_name,
    area_slots,
    cmd_areas,
    cmd_nearby,
    cmd_search,
    cmd_subscribe,
    cmd_unsubscribe,
)
from services.bot.calendar import outages_ics
from services.bot.deps import BotDeps, say
from services.bot.parse import Command
from services.chats import QuietHoursError, parse_quiet
from services.domain.slots import end_of_tomorrow
from services.messages import Reply, esc
from services.relay import relay

REFRESH_SECONDS = 300


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


def cmd_schedule(cmd: Command, deps: BotDeps) -> None:
    areas = _chosen(cmd, deps)
    if areas is None:
        return None
    now = deps.clock.now()
    parts = []
    for area_id, name in areas:
        found = area_slots(deps, area_id, now, end_of_tomorrow(now))
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
        found = area_slots(deps, area_id, now, now + timedelta(days=7))
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
    if not deps.store.claim(keys.refresh_rate(cmd.chat_id), deps.clock.now(), REFRESH_SECONDS):
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
    "nearby": cmd_nearby,
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
