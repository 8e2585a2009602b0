"""`loadshed run` / `loadshed chat`: the embedded bot as one long-running process."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from types import FrameType
from typing import TextIO

from pydantic import ValidationError

from services.adapters.sqlite_store import check_database
from services.adapters.telegram import TelegramClient
from services.bot.logic import handle_update
from services.bot.updates import Update
from services.messages import COMMANDS
from services.ports import UpstreamAuthError, UpstreamError
from services.runtime.app import Adapters, Runtime, build_runtime
from services.runtime.config import Config
from services.runtime.console import ConsoleMessenger, line_to_update
from services.runtime.instance import InstanceLock
from services.runtime.loops import loops
from services.runtime.workers import start_threads

log = logging.getLogger("loadshed.run")


class WebhookActiveError(RuntimeError):
    """A webhook is set for this bot: long polling would silently break that deployment."""


def prepare_telegram(config: Config, delete_webhook: bool) -> tuple[TelegramClient, str | None]:
    client = TelegramClient(config.telegram_bot_token, config.telegram_api_url)
    try:
        info = client.get_webhook_info()
        if info.url and not delete_webhook:
            raise WebhookActiveError(
                f"a webhook is set for this bot ({info.url}): it is deployed elsewhere. Long polling would "
                "break that deployment; run `loadshed run --delete-webhook` to switch this bot to long polling"
            )
        if info.url:
            client.delete_webhook()
            log.warning("deleted the webhook %s; this process now receives the bot's updates", info.url)
        client.set_my_commands(COMMANDS)
        return client, client.get_me().username
    except UpstreamAuthError:
        raise
    except UpstreamError as exc:
        log.warning("Telegram unreachable at start (%s); polling will keep trying", exc)
        return client, None


def _stdin_reader(runtime: Runtime, messenger: ConsoleMessenger, stop: threading.Event, stdin: TextIO) -> None:
    print("Type commands as a chat would (/help, /search NAME, tap N). Ctrl-D or Ctrl-C to stop.", flush=True)
    for line in stdin:
        if stop.is_set():
            return
        raw = line_to_update(line, messenger)
        if raw is None:
            continue
        try:
            handle_update(Update.model_validate(raw), runtime.bot)
        except (ValidationError, UpstreamError) as exc:
            print(f"(could not handle that: {exc})", flush=True)
    stop.set()


def run(config: Config, *, delete_webhook: bool = False, console: bool = False, stdin: TextIO | None = None) -> int:
    """Run until SIGINT/SIGTERM (a second one exits at once). Returns the process exit code."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            log.warning("second %s: exiting now (everything unfinished resumes at the next start)", signum)
            os._exit(130)
        log.info("signal %s: finishing the current work and stopping", signal.Signals(signum).name)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):  # first thing: a signal during start-up stops cleanly too
        signal.signal(sig, on_signal)
    check_database(config.db)  # a foreign or newer file is refused before a byte is written beside it
    lock = InstanceLock(config.db).acquire()  # before anything touches the database or Telegram
    try:
        return _run_locked(config, lock, stop, delete_webhook, console, stdin)
    finally:
        lock.release()


def _run_locked(
    config: Config, lock: InstanceLock, stop: threading.Event, delete_webhook: bool, console: bool, stdin: TextIO | None
) -> int:
    use_telegram = bool(config.telegram_bot_token) and not console
    client, username = prepare_telegram(config, delete_webhook) if use_telegram else (None, None)
    messenger = None if use_telegram else ConsoleMessenger()
    adapters = Adapters(messenger=messenger)
    runtime = build_runtime(config, adapters, bot_username=username, owner=lock.owner, stop=stop)
    named, poller = loops(runtime, stop, client)
    if client is None and isinstance(messenger, ConsoleMessenger) and (console or (stdin or sys.stdin).isatty()):
        named.append(("console", lambda: _stdin_reader(runtime, messenger, stop, stdin or sys.stdin)))
    log.info(
        "loadshed running: store %s, stage source %s, telegram %s",
        config.db,
        runtime.container.stage_source.name,
        "long polling" if client else "console (no token)",
    )
    threads = start_threads(named, stop)
    try:
        stop.wait()
    finally:
        stop.set()
        deadline = time.monotonic() + 2.5  # stop within 3 s; what is unfinished resumes at the next start
        for thread in threads:
            if thread.name != "console":
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
        busy = [t.name for t in threads if t.is_alive() and t.name != "console"]
        if busy:
            log.info("stopping with %s still busy; their work resumes at the next start", ", ".join(busy))
        else:
            runtime.close()
        log.info("stopped")
    return 1 if poller is not None and poller.error else 0
