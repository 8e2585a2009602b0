"""`loadshed run`'s independent loops: nothing waits on anything else.

Each topology schedule (stage watcher, reminders, daily fetch, …) has its own thread, so stage
polling is never behind a fan-out; deliveries run on a few dispatch threads (a fan-out, a refresh
and a fetch at once); updates are received, handled per chat and answered on their own threads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace

from services.adapters.telegram import TelegramClient
from services.relay import relay
from services.runtime.app import Runtime
from services.runtime.bus import handler_for
from services.runtime.polling import TelegramPoller
from services.runtime.scheduler import Scheduler
from services.runtime.workers import ReplySender, UpdateWorkers
from services.topology import Schedule

log = logging.getLogger("loadshed.loops")
DISPATCHERS = 3
UPDATE_WORKERS = 4
REPLY_SENDERS = 2


def schedule_loop(runtime: Runtime, schedule: Schedule, stop: threading.Event) -> Callable[[], None]:
    config = runtime.config
    overrides = {"LOADSHED_POLL_SECONDS": config.poll_seconds, "LOADSHED_REMIND_SECONDS": config.remind_seconds}
    scheduler = Scheduler((schedule,), overrides)
    handle = handler_for(schedule.service)

    def loop() -> None:
        while not stop.is_set():
            now = runtime.container.clock.now()
            for due in scheduler.due(now):
                try:
                    handle(dict(due.input))
                except Exception:
                    log.exception("schedule %s failed", due.name)
            stop.wait(min(5.0, max(0.05, scheduler.seconds_until_next(runtime.container.clock.now()))))

    return loop


def dispatch_loop(runtime: Runtime, stop: threading.Event) -> Callable[[], None]:
    def loop() -> None:
        while not stop.is_set():
            try:
                work = relay(runtime.store, runtime.bus, runtime.container.clock)
            except Exception:
                log.exception("relaying the outbox failed; it stays for the next round")
                work = 0
            work += runtime.dispatcher.pump(limit=1)
            if not work:
                stop.wait(0.05)

    return loop


Loops = list[tuple[str, Callable[[], None]]]


def loops(
    runtime: Runtime, stop: threading.Event, client: TelegramClient | None
) -> tuple[Loops, TelegramPoller | None]:
    """Every loop of the process, named for its thread, and the poller (whose error ends the run)."""
    found = [(f"schedule:{s.name}", schedule_loop(runtime, s, stop)) for s in runtime.scheduler.schedules]
    found += [(f"dispatch-{i}", dispatch_loop(runtime, stop)) for i in range(DISPATCHERS)]
    if client is None or runtime.inbox is None:
        return found, None
    workers = UpdateWorkers(runtime.inbox, runtime.bot, stop, UPDATE_WORKERS)
    poller = TelegramPoller(client, runtime.bot, stop, runtime.inbox, on_received=workers.wake)
    sender = ReplySender(runtime.inbox, replace(runtime.bot), runtime.bot.messenger, stop)
    found.append(("telegram-poller", poller.run))
    found += [(f"updates-{i}", workers.run) for i in range(UPDATE_WORKERS)]
    found += [(f"replies-{i}", sender.run) for i in range(REPLY_SENDERS)]
    return found, poller
