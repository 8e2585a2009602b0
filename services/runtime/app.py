"""The embedded runtime's bootstrap and engine: the whole system in one process.

`build_runtime` is the one wiring place for this runtime (adapters may be swapped for simulated
ones — that is all `loadshed demo` does). `Runtime.tick` fires due schedules, relays the outbox
onto the local bus and dispatches due deliveries; `loadshed run` calls it in a loop.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas import RefreshRequested, from_eventbridge
from services import bootstrap, keys
from services.adapters.esk_factory import stage_source_and_timetables
from services.adapters.esp import EskomSePushClient
from services.adapters.http import retrying_session
from services.adapters.sqlite_store import SQLiteStore
from services.adapters.telegram import TelegramClient
from services.bot.deps import USERNAME_KEY, BotDeps
from services.ports import Clock, Messenger, StageSource, Store, TimetableSource
from services.ratelimit import LimitedMessenger, RateLimiter
from services.refresh import handler as refresh_handler
from services.relay import relay
from services.runtime.bus import Dispatcher, LocalBus, Routed, handler_for
from services.runtime.config import Config
from services.runtime.console import ConsoleMessenger
from services.runtime.deliveries import DeliveryQueue
from services.runtime.inbox import Inbox
from services.runtime.scheduler import Scheduler
from services.runtime.workflow import Execution, WorkflowRunner
from services.settings import ServiceSettings
from services.topology import TOPOLOGY, WorkflowStep
from services.upstream_health import record_quota

log = logging.getLogger("loadshed.runtime")


class EmbeddedContext:
    """What handlers read of a Lambda context: a generous time budget per delivery — none left
    once the process is stopping, so a fan-out pauses durably (`FanOutPaused`) and resumes at
    the next start."""

    def __init__(self, stop: threading.Event | None = None) -> None:
        self.stop = stop

    def get_remaining_time_in_millis(self) -> int:
        return 0 if self.stop is not None and self.stop.is_set() else 15 * 60 * 1000


@dataclass
class Runtime:
    container: bootstrap.Container
    store: Store
    queue: DeliveryQueue
    bus: LocalBus
    dispatcher: Dispatcher
    scheduler: Scheduler
    runner: WorkflowRunner
    bot: BotDeps
    config: Config
    inbox: Inbox | None = None
    stop: threading.Event | None = None

    def fire_due_schedules(self) -> int:
        fired = self.scheduler.due(self.container.clock.now())
        for schedule in fired:
            try:
                handler_for(schedule.service)(dict(schedule.input))
            except Exception:
                log.exception("schedule %s failed", schedule.name)
        return len(fired)

    def tick(self) -> int:
        """One round of work; returns how much was done (0 = idle)."""
        work = self.fire_due_schedules()
        try:
            work += relay(self.store, self.bus, self.container.clock)
        except Exception:
            log.exception("relaying the outbox failed; it stays for the next round")
        return work + self.dispatcher.pump()

    def run_until_idle(self, max_rounds: int = 10_000) -> int:
        total = 0
        for _ in range(max_rounds):
            work = self.tick()
            total += work
            if not work:
                break
        return total

    def close(self) -> None:
        self.queue.close()
        if self.inbox is not None:
            self.inbox.close()
        close = getattr(self.store, "close", None)
        if close is not None:
            close()
        bootstrap.install(None)


INTERACTIVE_TIMEOUT = (3.05, 5.0)
"""A person is waiting: one try, five seconds, then "not available right now" (the daily fetch
keeps the patient timeouts and retries)."""
LEASE_PREFIXES = keys.LEASE_PREFIXES


def recover(store: Store, queue: DeliveryQueue, inbox: Inbox | None = None) -> int:
    """This process owns the database now (instance lock): take back what a dead one held."""
    taken = queue.recover() + (inbox.recover() if inbox is not None else 0)
    recover_leases = getattr(store, "recover_leases", None)
    if recover_leases is not None:
        taken += recover_leases(LEASE_PREFIXES)
    if taken:
        log.warning("took back %d lease(s) held by a process that is gone; their work resumes now", taken)
    return taken


def _run_step(step: WorkflowStep, state: dict[str, Any]) -> dict[str, Any]:
    return refresh_handler.handle({"action": step.action, "state": state})  # the Lambda entrypoint itself


@dataclass
class Adapters:
    """What a caller may replace when building the runtime (the demo, tests, benchmarks)."""

    stage_source: StageSource | None = None
    timetables: TimetableSource | None = None
    messenger: Messenger | None = None
    clock: Clock | None = None
    sleep: Callable[[float], None] = time.sleep
    on_routed: Callable[[Routed], None] | None = None
    store: Store | None = None


def _upstreams(
    config: Config, store: Store, given: Adapters
) -> tuple[StageSource, TimetableSource | None, TimetableSource | None]:
    """(stage source, timetables for the services, timetables for people waiting in a chat)."""
    if given.stage_source is not None:
        return given.stage_source, given.timetables, None
    env = {
        "ESKOM_API_URL": config.eskom_api_url,
        "ESKOMSEPUSH_API_URL": config.eskomsepush_api_url,
        "LOADSHED_STAGE_SOURCE": config.stage_source,
    }
    stage_source, esp = stage_source_and_timetables(env, config.eskomsepush_token, lambda q: record_quota(store, q))
    if given.timetables is not None or esp is None:
        return stage_source, given.timetables or esp, None
    interactive = EskomSePushClient(
        config.eskomsepush_token,
        config.eskomsepush_api_url,
        retrying_session(retries=0),
        timeout=INTERACTIVE_TIMEOUT,
        on_quota=lambda q: record_quota(store, q),
    )
    return stage_source, esp, interactive


def _messenger(config: Config) -> Messenger:
    if not config.telegram_bot_token:
        return ConsoleMessenger()
    client = TelegramClient(config.telegram_bot_token, config.telegram_api_url)
    # one try per call: fan-outs and the reply sender retry a chat later, not inline
    return LimitedMessenger(client, RateLimiter(config.send_rate), attempts=1)


def _whoami(messenger: Messenger) -> Callable[[], str | None] | None:
    if isinstance(messenger, LimitedMessenger) and isinstance(messenger.inner, TelegramClient):
        client = messenger.inner
        return lambda: client.get_me().username
    return None


def _dispatcher(bus: LocalBus, runner: WorkflowRunner, owner: str | None, stop: threading.Event | None) -> Dispatcher:
    workflow = runner.workflow

    def start_workflow(delivered: dict[str, Any]) -> Execution:
        request = from_eventbridge(delivered)
        assert isinstance(request, RefreshRequested)
        return runner.start(request, f"{workflow.name}-{owner or 'local'}-{uuid.uuid4()}")

    def with_context(service: str) -> Callable[[dict[str, Any]], Any]:
        handle = handler_for(service)
        return lambda event: handle(event, EmbeddedContext(stop))

    targets: dict[str, Callable[[dict[str, Any]], Any]] = {
        s.service: with_context(s.service) for s in TOPOLOGY.subscriptions
    }
    targets[f"workflow:{workflow.name}"] = start_workflow
    return Dispatcher(bus, targets, EmbeddedContext(stop))


def _stoppable(sleep: Callable[[float], None], stop: threading.Event | None) -> Callable[[float], None]:
    """A stopping process does not sit out a retry delay."""
    if stop is None:
        return sleep
    stopping = stop

    def wait(seconds: float) -> None:
        stopping.wait(seconds)

    return wait


def build_runtime(
    config: Config,
    adapters: Adapters | None = None,
    *,
    bot_username: str | None = None,
    owner: str | None = None,
    stop: threading.Event | None = None,
) -> Runtime:
    """Wire the embedded runtime from `config`; `adapters` replace the real ones (demo, tests).

    `owner` (from the instance lock) marks this process as the database's only owner: every lease
    another process held is taken back at once, so interrupted work resumes within seconds."""
    given = adapters or Adapters()
    Path(config.db).parent.mkdir(parents=True, exist_ok=True)
    store = given.store if given.store is not None else SQLiteStore(config.db, owner=owner)
    queue = DeliveryQueue(config.db, owner=owner)
    inbox = Inbox(config.db, owner=owner) if owner is not None else None
    if owner is not None:
        recover(store, queue, inbox)
    clock = given.clock or bootstrap.SystemClock()
    stage_source, timetables, interactive = _upstreams(config, store, given)
    messenger = given.messenger or _messenger(config)
    bus = LocalBus(queue, clock, on_routed=given.on_routed)
    container = bootstrap.build(
        store=store,
        publisher=bus,
        stage_source=stage_source,
        timetables=timetables,
        clock=clock,
        messenger=messenger,
        settings={"owner": owner},
        config=ServiceSettings(
            admin_chats=frozenset(config.admin_chats),
            areas_of_interest=config.areas_of_interest,
            send_workers=8,
            send_rate=config.send_rate,
        ),
    )
    bootstrap.install(container)
    runner = WorkflowRunner(TOPOLOGY.workflows[0], _run_step, bus, sleep=_stoppable(given.sleep, stop))
    overrides = {"LOADSHED_POLL_SECONDS": config.poll_seconds, "LOADSHED_REMIND_SECONDS": config.remind_seconds}
    scheduler = Scheduler(TOPOLOGY.schedules, overrides)
    admins = frozenset(config.admin_chats)
    bot = BotDeps(store, messenger, bus, clock, interactive or timetables, None, admins, _whoami(messenger))
    if bot_username:
        store.put_value(USERNAME_KEY, bot_username, ttl_seconds=7 * 86400, now=clock.now())
    dispatcher = _dispatcher(bus, runner, owner, stop)
    return Runtime(container, store, queue, bus, dispatcher, scheduler, runner, bot, config, inbox, stop)
