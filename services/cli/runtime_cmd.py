"""`loadshed run | chat | demo | config | status | refresh`: the embedded runtime's commands."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO
from uuid import uuid4

from schemas import RefreshRequested
from services.adapters.sqlite_store import SQLiteStore, check_database
from services.bootstrap import ConfigError
from services.cli.output import CliError, table
from services.logcontext import configure
from services.runtime import config as config_mod
from services.schedule_fetcher import rejections
from services.upstream_health import stored_quota


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("run", help="run the bot on this machine (SQLite, local bus, long polling)")
    p.add_argument("--delete-webhook", action="store_true", help="remove a webhook set on the bot, then poll")
    sub.add_parser("chat", help="run with the console as the chat: type commands, see replies")
    p = sub.add_parser("demo", help="the whole story offline, in under 30 seconds")
    p.add_argument("--quiet", action="store_true", help="only the summary")
    sub.add_parser("config", help="print the effective configuration (secrets masked)")
    sub.add_parser("status", help="stage, areas, subscribers, outbox and delivery depth, quota")
    p = sub.add_parser("refresh", help="ask the running bot for an ordered refresh")
    p.add_argument("--chat", type=int, help="refresh for one chat (default: every subscriber)")


def _config() -> config_mod.Config:
    try:
        return config_mod.load()
    except ConfigError as exc:
        raise CliError(f"configuration: {exc}") from None


def _existing(cfg: config_mod.Config) -> config_mod.Config:
    """The tools that inspect or feed a running bot never create its database."""
    if cfg.db != ":memory:" and not Path(cfg.db).is_file():
        raise CliError(f"no loadshed database at {cfg.db}", code=1)
    check_database(cfg.db, initialized=True)
    return cfg


def cmd_config(out: TextIO) -> int:
    cfg = _existing(_config())
    rows = [[name, value] for name, value in cfg.masked().items()]
    print(table(["SETTING", "VALUE"], rows), file=out)
    return 0


def cmd_status(out: TextIO) -> int:
    cfg = _existing(_config())
    store = SQLiteStore(cfg.db, read_only=True)
    try:
        from services.runtime.deliveries import DeliveryQueue

        queue = DeliveryQueue(cfg.db, read_only=True)
        rows = []
        for region in ("national", "capetown"):
            rec = store.get_stage(region)
            rows.append(
                [
                    f"stage ({region})",
                    f"{rec.stage} since {rec.changed_at:%Y-%m-%d %H:%M %Z} via {rec.observed_from}"
                    if rec
                    else "unknown",
                ]
            )
        areas = store.subscribed_areas()
        chats = {c for a in areas for c in store.area_subscribers(a)}
        now = datetime.now(timezone.utc)
        quota = stored_quota(store, now)
        quota_text = (
            f"{quota.used} of {quota.limit} used, {quota.remaining} left (as of {quota.observed_at:%Y-%m-%d %H:%M %Z})"
            if quota
            else "unknown (no EskomSePush answer yet)"
        )
        rejected = [r for a in areas if (r := rejections.get(store, a, now)) is not None and r.error]
        rows += [
            ["subscribed areas", ", ".join(areas) or "none"],
            ["subscribers", str(len(chats))],
            ["outbox depth", str(store.outbox_depth())],
            ["pending deliveries", str(queue.depth())],
            ["dead-lettered deliveries", str(len(queue.dead_letters()))],
            ["ESP quota", quota_text],
            *[
                [f"rejected by ESP: {r.area_id}", f"{r.error} (try {r.tries}/3 today; next {r.next_try:%H:%M %Z})"]
                for r in rejected
            ],
            ["upstream eskom", store.get_value("upstream:eskom") or "up"],
        ]
        print(table(["WHAT", "VALUE"], rows), file=out)
        queue.close()
    finally:
        store.close()
    return 0


def cmd_refresh(args: argparse.Namespace, out: TextIO) -> int:
    cfg = _existing(_config())
    store = SQLiteStore(cfg.db)
    try:
        event = RefreshRequested(request_id=uuid4(), scope="chat" if args.chat else "all", chat_id=args.chat or 0)
        store.enqueue([event])
    finally:
        store.close()
    print(f"refresh {event.request_id} queued ({event.scope}); the running bot picks it up within a second", file=out)
    return 0


def run(args: argparse.Namespace, out: TextIO) -> int:
    if args.command == "config":
        return cmd_config(out)
    if args.command == "status":
        return cmd_status(out)
    if args.command == "refresh":
        return cmd_refresh(args, out)
    if args.command == "demo":
        from services.runtime.demo import run_demo

        return run_demo(out, quiet=args.quiet)
    cfg = _config()
    configure(cfg.log_level, cfg.log_format)
    from services.runtime.main import WebhookActiveError
    from services.runtime.main import run as run_bot

    try:
        return run_bot(cfg, delete_webhook=getattr(args, "delete_webhook", False), console=args.command == "chat")
    except WebhookActiveError as exc:
        raise CliError(str(exc)) from None
