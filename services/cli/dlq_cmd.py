"""`loadshed dlq list|redrive [--dry-run]`: the deployed stack's dead letters, and sending them on."""

from __future__ import annotations

import argparse
import os
from typing import Any, TextIO

from services.cli.output import CliError, table
from services.cli.stack import resolve
from services.ops.dead_letters import DeadLetterError, peek, redrive, remove, take

ENV = "LOADSHED_DEAD_LETTER_QUEUES"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("dlq", help="list or redrive the deployed stack's dead-letter queues")
    cmds = p.add_subparsers(dest="dlq_cmd", required=True, metavar="COMMAND")
    for name, text in (
        ("list", "each message: queue, event type, target, error"),
        ("redrive", "deliver each message again to its original target, then remove it"),
    ):
        c = cmds.add_parser(name, help=text)
        c.add_argument(
            "--queue",
            action="append",
            help=f"queue name or URL (repeatable; default: ${ENV} or the stack output dead_letter_queues)",
        )
        c.add_argument("--stack", help="Pulumi stack to read outputs from")
        c.add_argument("--region", help="AWS region (default: your AWS configuration)")
        if name == "redrive":
            c.add_argument("--dry-run", action="store_true", help="say what would be redriven; change nothing")


def _queues(args: argparse.Namespace) -> list[str]:
    found = resolve(args.queue or [], ENV, "dead_letter_queues", args.stack)
    return list(found.values()) if isinstance(found, dict) else list(found)


def _clients(region: str | None) -> tuple[Any, Any, Any]:
    import boto3

    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return (boto3.client(n, region_name=region) for n in ("sqs", "lambda", "stepfunctions"))  # type: ignore[return-value]


def run(args: argparse.Namespace, out: TextIO) -> int:
    sqs, lambdas, sfn = _clients(args.region)
    try:
        if args.dlq_cmd == "list":
            return _list(sqs, _queues(args), out)
        return _redrive(sqs, lambdas, sfn, _queues(args), args.dry_run, out)
    except DeadLetterError as exc:
        raise CliError(str(exc), code=1) from None


def _list(sqs: Any, queues: list[str], out: TextIO) -> int:
    for queue in queues:
        letters = list(peek(sqs, queue))
        if not letters:
            print(f"{queue}: empty", file=out)
            continue
        rows = [
            [d.message_id[:8], d.kind, d.event_type, d.target.rsplit(":", 1)[-1] or "?", d.error[:70]] for d in letters
        ]
        print(f"{queue}: {len(letters)} message(s)", file=out)
        print(table(["ID", "FROM", "EVENT", "TARGET", "ERROR"], rows), file=out)
    return 0


def _redrive(sqs: Any, lambdas: Any, sfn: Any, queues: list[str], dry_run: bool, out: TextIO) -> int:
    failed = 0
    for queue in queues:
        letters = list(peek(sqs, queue)) if dry_run else take(sqs, queue)
        count = 0
        for letter in letters:
            count += 1
            if dry_run:
                print(
                    f"would redrive {letter.message_id[:8]} {letter.event_type} → {letter.target or '(no target)'}",
                    file=out,
                )
                continue
            try:
                done = redrive(letter, lambdas, sfn)
            except DeadLetterError as exc:
                failed += 1
                print(f"kept {letter.message_id[:8]}: {exc}", file=out)
                continue
            remove(sqs, letter)
            print(f"redrove {letter.message_id[:8]} {letter.event_type}: {done}", file=out)
        if not count:
            print(f"{queue}: empty", file=out)
    return 1 if failed else 0
