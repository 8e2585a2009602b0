"""Finding and following areas: search, an id, a shared location; subscribing and leaving.

Every upstream lookup costs EskomSePush quota, so each is rate-limited per chat and cached for a
day (an id's lookup also yields its timetable, kept for the fetcher).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from schemas import OutageSlot, SubscriptionChanged
from services import keys, messages
from services.bot.deps import DAY, BotDeps, say
from services.bot.parse import Command
from services.bot.updates import Location
from services.domain.areas import AREA_ID, region_of_area
from services.domain.slots import compute_slots, end_of_tomorrow
from services.messages import Reply, esc, upstream_trouble
from services.ports import (
    AreaHit,
    AreaNotFoundError,
    Button,
    SubscriptionLimitError,
    SubscriptionRecord,
    UpstreamError,
    UpstreamRequestError,
)
from services.relay import relay

MAX_AREAS = 10
LOOKUP_SECONDS = 10


def short_id(area_id: str) -> str:
    """Callback data is limited to 64 bytes; area ids can be longer, so buttons carry a digest."""
    return hashlib.sha256(area_id.encode()).hexdigest()[:16]


def remember_area(deps: BotDeps, area_id: str, name: str) -> None:
    now = deps.clock.now()
    deps.store.put_value(keys.area_name(area_id), name, ttl_seconds=30 * DAY, now=now)
    deps.store.put_value(keys.pick(short_id(area_id)), json.dumps([area_id, name]), ttl_seconds=7 * DAY, now=now)


def area_name(deps: BotDeps, area_id: str) -> str | None:
    """The name of an area we know (from a timetable, a search or a lookup); None if unknown."""
    tt = deps.store.get_timetable(area_id)
    if tt is not None:
        return tt.name
    return deps.store.get_value(keys.area_name(area_id), now=deps.clock.now())


def picked(deps: BotDeps, sid: str) -> tuple[str, str] | None:
    raw = deps.store.get_value(keys.pick(sid), now=deps.clock.now())
    if not raw:
        return None
    area_id, name = json.loads(raw)
    return str(area_id), str(name)


def area_slots(deps: BotDeps, area_id: str, now: datetime, until: datetime) -> tuple[list[OutageSlot], bool] | None:
    """The area's slots until `until` under the stage in force, and whether the timetable is stale."""
    tt = deps.store.get_timetable(area_id)
    if tt is None:
        return None
    stage = deps.store.get_stage(region_of_area(area_id, tt.region_name)) or deps.store.get_stage("national")
    if stage is None:
        return None
    return compute_slots(tt, stage.stage, stage.next_stages, now, until - now, since=stage.changed_at), tt.stale


def _presented(deps: BotDeps, area_id: str, name: str) -> str:
    """The schedule to show with a new subscription — or that it follows, when the fetcher has
    not computed it yet (its first `ScheduleUpdated` then presents it)."""
    now = deps.clock.now()
    found = area_slots(deps, area_id, now, end_of_tomorrow(now))
    if found is None or deps.store.get_schedule(area_id) is None:
        return Reply.schedule_follows
    return messages.schedule(name, found[0], found[1], now)


def subscribe(deps: BotDeps, chat_id: int, area_id: str, name: str) -> str:
    event = SubscriptionChanged(
        chat_id=chat_id, area_id=area_id, area_name=name, action="added", occurred_at=deps.clock.now()
    )
    try:
        settings = deps.store.get_settings(chat_id)
        record = SubscriptionRecord.following(chat_id, area_id, name, settings)
        added = deps.store.add_subscription(record, [event], MAX_AREAS)
    except SubscriptionLimitError:
        return Reply.limit.format(limit=MAX_AREAS)
    relay(deps.store, deps.publisher, deps.clock)
    if not added:
        return Reply.already.format(name=esc(name))
    return Reply.subscribed.format(name=esc(name)) + "\n\n" + _presented(deps, area_id, name)


def unsubscribe(deps: BotDeps, chat_id: int, area_id: str, name: str | None) -> str:
    event = SubscriptionChanged(
        chat_id=chat_id, area_id=area_id, area_name=name, action="removed", occurred_at=deps.clock.now()
    )
    if not deps.store.remove_subscription(chat_id, area_id, [event]):
        return Reply.not_following.format(id=esc(area_id))
    relay(deps.store, deps.publisher, deps.clock)
    return Reply.unsubscribed.format(name=esc(name or area_id))


def _hit_buttons(deps: BotDeps, hits: list[list[str]]) -> list[list[Button]]:
    buttons = []
    for area_id, name, region in hits:
        remember_area(deps, area_id, name)
        label = f"{name} — {region}" if region else name
        buttons.append([Button(label[:60], f"sub:{short_id(area_id)}")])
    return buttons


def _cached_hits(deps: BotDeps, chat_id: int, key: str, ask: Callable[[], list[AreaHit]]) -> list[list[str]] | str:
    """Hits from the day's cache, else from one rate-limited upstream call; a str is the reply
    to give instead."""
    now = deps.clock.now()
    cached = deps.store.get_value(key, now=now)
    if cached is not None:
        return list(json.loads(cached))
    if not deps.store.claim(keys.lookup_rate(chat_id), now, LOOKUP_SECONDS):
        return Reply.search_wait.format(seconds=LOOKUP_SECONDS)
    try:
        found = ask()
    except UpstreamError as exc:
        return Reply.search_unavailable.format(why=upstream_trouble(exc))
    hits = [[h.area_id, h.name, h.region] for h in found][:8]
    deps.store.put_value(key, json.dumps(hits), ttl_seconds=DAY, now=now)
    return hits


def cmd_search(cmd: Command, deps: BotDeps) -> None:
    text = " ".join(cmd.args.split())[:64]
    if len(text) < 2:
        buttons = [[Button(Reply.share_location_button, request_location=True)]] if cmd.chat_type == "private" else None
        return say(deps, cmd.chat_id, Reply.search_usage, buttons)
    if deps.timetables is None:
        return say(deps, cmd.chat_id, Reply.search_disabled)
    source = deps.timetables
    hits = _cached_hits(deps, cmd.chat_id, keys.search(text), lambda: source.search(text))
    if isinstance(hits, str):
        return say(deps, cmd.chat_id, hits)
    if not hits:
        return say(deps, cmd.chat_id, Reply.search_none.format(text=esc(text)))
    return say(deps, cmd.chat_id, Reply.search_results.format(text=esc(text)), _hit_buttons(deps, hits))


def cmd_nearby(cmd: Command, deps: BotDeps) -> None:
    """Ask for a location: a button in private chats, words elsewhere (Telegram allows the button
    only in private chats)."""
    if cmd.chat_type != "private":
        return say(deps, cmd.chat_id, Reply.nearby_group)
    return say(deps, cmd.chat_id, Reply.nearby_ask, [[Button(Reply.share_location_button, request_location=True)]])


def on_location(chat_id: int, where: Location, deps: BotDeps) -> None:
    """A shared location: the areas around it (ESP `areas_nearby`, one call, cached a day)."""
    if deps.timetables is None:
        return say(deps, chat_id, Reply.search_disabled)
    source, lat, lon = deps.timetables, where.latitude, where.longitude
    hits = _cached_hits(deps, chat_id, keys.nearby(lat, lon), lambda: source.nearby(lat, lon))
    if isinstance(hits, str):
        return say(deps, chat_id, hits)
    if not hits:
        return say(deps, chat_id, Reply.nearby_none)
    return say(deps, chat_id, Reply.nearby_results, _hit_buttons(deps, hits))


def _look_up(deps: BotDeps, chat_id: int, area_id: str) -> str | None:
    """Ask EskomSePush for an id nobody here has seen: one call, which also brings its timetable."""
    now = deps.clock.now()
    if deps.timetables is None or deps.store.get_value(keys.unknown_area(area_id), now=now):
        say(deps, chat_id, Reply.unknown_area.format(id=esc(area_id)))
        return None
    if not deps.store.claim(keys.lookup_rate(chat_id), now, LOOKUP_SECONDS):
        say(deps, chat_id, Reply.search_wait.format(seconds=LOOKUP_SECONDS))
        return None
    try:
        tt = deps.timetables.area(area_id)
    except (AreaNotFoundError, UpstreamRequestError):
        deps.store.put_value(keys.unknown_area(area_id), "1", ttl_seconds=DAY, now=now)
        say(deps, chat_id, Reply.unknown_area.format(id=esc(area_id)))
        return None
    except UpstreamError as exc:
        say(deps, chat_id, Reply.lookup_unavailable.format(why=upstream_trouble(exc)))
        return None
    deps.store.save_timetable(replace(tt, fetched_at=now, stale=False))
    remember_area(deps, area_id, tt.name)
    return tt.name


def cmd_subscribe(cmd: Command, deps: BotDeps) -> None:
    area_id = cmd.args.split()[0] if cmd.args else ""
    if not AREA_ID.fullmatch(area_id):
        return say(deps, cmd.chat_id, Reply.bad_area_id)
    name = area_name(deps, area_id) or _look_up(deps, cmd.chat_id, area_id)
    if name is None:
        return None
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
