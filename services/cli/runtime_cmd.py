"""`loadshed run | chat | demo | config | status | refresh`: the embedded runtime's commands."""

from __future__ import annotations

import argparse
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO
from uuid import uuid4

from schemas import RefreshRequested
from services.adapters.sqlite_store import SQLiteStore, check_database
from services.bootstrap import ConfigError
from services.cli.output import CliError, table
from services.cli.stack import resolve
from services.logcontext import configure
from services.ops.status import status_rows
from services.runtime import config as config_mod


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("run", help="run the bot on this machine (SQLite, local bus, long polling)")
    p.add_argument("--delete-webhook", action="store_true", help="remove a webhook set on the bot, then poll")
    sub.add_parser("chat", help="run with the console as the chat: type commands, see replies")
    p = sub.add_parser("demo", help="the whole story offline, in under 30 seconds")
    p.add_argument("--quiet", action="store_true", help="only the summary")
    sub.add_parser("config", help="print the effective configuration (secrets masked)")
    p = sub.add_parser("status", help="stage, areas, subscribers, outbox and delivery depth, quota")
    p.add_argument("--table", help="read the deployed DynamoDB table instead (default: $LOADSHED_TABLE)")
    p.add_argument("--stack", help="read the deployed table of this Pulumi stack (its output table_name)")
    p.add_argument("--region", help="AWS region of the deployed table")
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


def cmd_status(args: argparse.Namespace, out: TextIO) -> int:
    if args.table or args.stack or os.environ.get("LOADSHED_TABLE"):
        return _deployed_status(args, out)
    cfg = _existing(_config())
    store = SQLiteStore(cfg.db, read_only=True)
    try:
        from services.runtime.deliveries import DeliveryQueue

        queue = DeliveryQueue(cfg.db, read_only=True)
        rows = status_rows(store, datetime.now(timezone.utc))
        rows[5:5] = [
            ["pending deliveries", str(queue.depth())],
            ["dead-lettered deliveries", str(len(queue.dead_letters()))],
            ["updates waiting", str(queue.count("update_inbox"))],
            ["replies owed", str(queue.count("replies"))],
        ]
        print(table(["WHAT", "VALUE"], rows), file=out)
        queue.close()
    finally:
        store.close()
    return 0


def _deployed_status(args: argparse.Namespace, out: TextIO) -> int:
    """The same view of the deployed table (name from --table, $LOADSHED_TABLE or the stack)."""
    import boto3

    from services.adapters.dynamodb_store import DynamoDBStore

    name = str(resolve(args.table, "LOADSHED_TABLE", "table_name", args.stack))
    client = boto3.client("dynamodb", region_name=args.region) if args.region else boto3.client("dynamodb")
    try:
        client.describe_table(TableName=name)
    except client.exceptions.ResourceNotFoundException:
        raise CliError(f"no DynamoDB table named {name!r} in this account and region", code=1) from None
    rows = status_rows(DynamoDBStore(client, name), datetime.now(timezone.utc))
    print(f"deployed table {name}", file=out)
    print(table(["WHAT", "VALUE"], rows), file=out)
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
        return cmd_status(args, out)
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
