"""`loadshed run` / `loadshed chat`: the embedded bot as one long-running process."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType
from typing import TextIO

from pydantic import ValidationError

from services.adapters.telegram import TelegramClient
from services.bot.logic import handle_update
from services.bot.updates import Update
from services.messages import COMMANDS
from services.ports import UpstreamAuthError, UpstreamError
from services.runtime.app import Runtime, build_runtime
from services.runtime.config import Config
from services.runtime.console import ConsoleMessenger, line_to_update
from services.runtime.polling import TelegramPoller

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
    """Run until SIGINT/SIGTERM. Returns the process exit code."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: finishing the current work and stopping", signal.Signals(signum).name)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):  # first thing: a signal during start-up stops cleanly too
        signal.signal(sig, on_signal)
    use_telegram = bool(config.telegram_bot_token) and not console
    client, username = prepare_telegram(config, delete_webhook) if use_telegram else (None, None)
    messenger = None if use_telegram else ConsoleMessenger()
    runtime = build_runtime(config, messenger=messenger, bot_username=username)
    threads = []
    poller = None
    if client is not None:
        poller = TelegramPoller(client, runtime.bot, stop)
        threads.append(threading.Thread(target=poller.run, name="telegram-poller", daemon=True))
    elif isinstance(messenger, ConsoleMessenger) and (console or (stdin or sys.stdin).isatty()):
        threads.append(
            threading.Thread(
                target=_stdin_reader, args=(runtime, messenger, stop, stdin or sys.stdin), name="console", daemon=True
            )
        )
    log.info(
        "loadshed running: store %s, stage source %s, telegram %s",
        config.db,
        runtime.container.stage_source.name,
        "long polling" if client else "console (no token)",
    )
    for thread in threads:
        thread.start()
    try:
        while not stop.is_set():
            if not runtime.tick():
                stop.wait(min(0.5, max(0.05, runtime.scheduler.seconds_until_next(runtime.container.clock.now()))))
    finally:
        stop.set()
        for thread in threads:
            if thread.name != "console":
                thread.join(timeout=5)
        runtime.close()
        log.info("stopped")
    return 1 if poller is not None and poller.error else 0
