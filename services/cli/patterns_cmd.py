"""`loadshed patterns test|check`: try an EventBridge pattern before deploying it.

Like `aws events test-event-pattern`: `--pattern` and `--event` are JSON text or `file://path`;
`test` prints `{"Result": true|false}`. An invalid pattern is one line on stderr (path and rule),
exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from services.cli.output import CliError
from services.patterns import PatternError, compile_pattern


def add_parser(sub: Any) -> None:
    p = sub.add_parser("patterns", help="test or validate an EventBridge event pattern")
    verbs = p.add_subparsers(dest="patterns_command", required=True, metavar="VERB")
    test = verbs.add_parser("test", help='print {"Result": true|false} for a pattern and an event')
    test.add_argument("--pattern", required=True, help="pattern JSON, or file://PATH")
    test.add_argument("--event", required=True, help="event JSON (any object), or file://PATH")
    check = verbs.add_parser("check", help="validate a pattern only")
    check.add_argument("pattern", help="pattern JSON, or file://PATH")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_json(text: str, what: str) -> Any:
    """JSON text or `file://path`; anything else is a one-line usage error (exit 2)."""
    if text.startswith("file://"):
        path = Path(text.removeprefix("file://"))
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"{what}: cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise CliError(f"{what}: not valid JSON: {exc}") from None
    except RecursionError:
        raise CliError(f"{what}: nested too deeply") from None


def _compile(text: str) -> Any:
    try:
        return compile_pattern(load_json(text, "--pattern"))
    except PatternError as exc:
        raise CliError(f"invalid pattern: {exc}") from None


def run(args: Any, out: TextIO) -> int:
    compiled = _compile(args.pattern)
    if args.patterns_command == "check":
        print("pattern is valid", file=out)
        return 0
    event = load_json(args.event, "--event")
    if not isinstance(event, dict):
        raise CliError("--event: must be a JSON object")
    print(json.dumps({"Result": compiled.matches(event)}), file=out)
    return 0
