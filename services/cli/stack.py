"""Names of a deployed stack's resources: from the environment, or `pulumi stack output --json`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

from services.cli.output import CliError


def stack_outputs(stack: str | None) -> dict[str, Any]:
    """The stack's outputs as Pulumi prints them (needs the Pulumi CLI, logged in)."""
    if shutil.which("pulumi") is None:
        raise CliError("the pulumi CLI is not installed; name the resources instead (see --help)", code=1)
    command = ["pulumi", "stack", "output", "--json", *(["--stack", stack] if stack else [])]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["no output"])[0]
        raise CliError(f"pulumi stack output failed: {first}", code=1)
    value: dict[str, Any] = json.loads(done.stdout or "{}")
    return value


def resolve(explicit: list[str] | str | None, env: str, output: str, stack: str | None) -> Any:
    """The first of: the option, the environment variable, the stack output."""
    if explicit:
        return explicit
    if os.environ.get(env):
        value = os.environ[env]
        return [v.strip() for v in value.split(",") if v.strip()] if isinstance(explicit, list) else value
    found = stack_outputs(stack).get(output)
    if not found:
        raise CliError(f"the stack has no output {output!r}; set {env}", code=1)
    return found
