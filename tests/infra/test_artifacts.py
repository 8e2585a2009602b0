"""The Lambda artifacts, built for this host, are complete: every handler imports from the code
zip and the layer alone, in an isolated interpreter with no project checkout and no site-packages."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infra.packaging import build_code_zip, build_layer, modules_needed
from services.topology import TOPOLOGY


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    out = tmp_path_factory.mktemp("build")
    layer = build_layer(out, "host")
    codes = {s.name: build_code_zip(s.name, out) for s in TOPOLOGY.services}
    return layer, codes


def unpack(archive: Path, into: Path) -> Path:
    with zipfile.ZipFile(archive) as z:
        z.extractall(into)
    return into


@pytest.mark.parametrize("service", [s.name for s in TOPOLOGY.services])
def test_handler_imports_from_the_artifacts_alone(artifacts, service, tmp_path):
    layer, codes = artifacts
    task = unpack(codes[service], tmp_path / "task")  # /var/task on Lambda
    opt = unpack(layer, tmp_path / "opt")  # /opt on Lambda: the layer's python/ is on sys.path
    script = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; "
        f"import services.{service}.handler as h; "
        "assert callable(h.handle); "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('infra', 'tests', 'benchmarks', 'pulumi', 'moto')]; "
        "assert not bad, bad; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script, str(task), str(opt / "python")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_code_zips_hold_only_project_code_each_function_needs(artifacts):
    _, codes = artifacts
    for service, archive in codes.items():
        names = zipfile.ZipFile(archive).namelist()
        assert all(n.startswith(("services/", "schemas/")) and n.endswith(".py") for n in names)
        assert f"services/{service}/handler.py" in names
        others = {s.name for s in TOPOLOGY.services} - {service}
        assert not any(f"services/{o}/handler.py" in names for o in others)
        assert archive.stat().st_size <= 200 * 1024


def test_builds_are_reproducible(artifacts, tmp_path):
    _, codes = artifacts
    again = build_code_zip("notifier", tmp_path)
    assert again.read_bytes() == codes["notifier"].read_bytes()


def test_lazy_imports_are_followed():
    modules = modules_needed("services.stage_watcher.handler")
    assert "services.adapters.dynamodb_store" in modules  # imported inside bootstrap.for_aws
    assert "services.bot.commands" not in modules
