"""`loadshed catalog build [DIR] [--registry NAME [--region R]] [--stack S ...]`: the event catalog site."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

from services.adapters.schema_registry import RegistryReadError
from services.cli.output import CliError
from services.cli.schemas_cmd import ReaderFactory


def add_parser(sub: Any) -> None:
    p = sub.add_parser("catalog", help="build the browsable event catalog (static HTML)")
    verbs = p.add_subparsers(dest="catalog_command", required=True, metavar="VERB")
    b = verbs.add_parser("build", help="write the catalog site to DIR (opens from file://, no network)")
    b.add_argument(
        "dir", nargs="?", default="build/catalog", type=Path, help="output directory (default build/catalog)"
    )
    b.add_argument("--registry", help="add this deployed Schema Registry's versions and drift")
    b.add_argument("--region", help="AWS region of the registry")
    b.add_argument(
        "--stack",
        action="append",
        help="stack names for Lambda function names (default: Pulumi.<stack>.yaml files, else dev)",
    )


def _stacks(args: Any) -> tuple[str, ...]:
    if args.stack:
        return tuple(args.stack)
    found = sorted(p.name.split(".")[1] for p in Path.cwd().glob("Pulumi.*.yaml"))
    return tuple(found) or ("dev",)


def run(args: Any, out: TextIO, reader_factory: ReaderFactory) -> int:
    from services.catalog.site import CatalogBuildError, build

    reader = None
    if args.registry:
        reader = reader_factory(args.registry, args.region)
    elif args.region:
        raise CliError("--region needs --registry")
    try:
        pages = build(args.dir, stacks=_stacks(args), reader=reader)
    except CatalogBuildError as exc:
        raise CliError(str(exc)) from None
    except RegistryReadError as exc:
        raise CliError(str(exc), code=1) from None
    print(f"wrote {len(pages)} pages to {args.dir} — open {args.dir / 'index.html'}", file=out)
    return 0
