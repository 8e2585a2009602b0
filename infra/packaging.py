"""Lambda artifacts: per-function code zips with only the project modules a handler reaches, and
one layer of third-party dependencies, rebuilt only when `requirements-lambda.txt` changes.

`python -m infra.packaging [--platform lambda|host] [--out build]` builds them. `lambda` installs
wheels for manylinux2014_aarch64 / CPython 3.12 with pip (needs PyPI); `host` copies the same
pinned distributions from this environment (offline: what the artifact test uses).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import importlib.metadata
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements-lambda.txt"
OUR_PACKAGES = ("schemas", "services")
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class PackagingError(RuntimeError):
    """An artifact could not be built (missing module, pip failure)."""


def _module_file(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:  # `from module import function`: not a module
        return None
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _imports(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m.split(".")[0] in OUR_PACKAGES}


def modules_needed(entry: str) -> dict[str, Path]:
    """Every project module `entry` can import (statically, including lazy imports in functions)."""
    needed: dict[str, Path] = {}
    todo = [entry]
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        path = _module_file(name)
        if path is None:
            continue  # `from pkg import name` where name is not a module
        needed[name] = path
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # parent packages' __init__
        todo += sorted(_imports(path, name))
    return needed


def _zip(files: dict[str, Path], out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for arcname in sorted(files):
            info = zipfile.ZipInfo(arcname, FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[arcname].read_bytes())
    return out


def build_code_zip(service: str, out_dir: Path) -> Path:
    """`<out>/code-<service>.zip`: the handler and exactly the project modules it reaches."""
    modules = modules_needed(f"services.{service}.handler")
    files = {str(path.relative_to(ROOT)): path for path in modules.values()}
    return _zip(files, out_dir / f"code-{service}.zip")


def lock_hash(platform: str) -> str:
    return hashlib.sha256(LOCK.read_bytes() + platform.encode()).hexdigest()[:12]


def pinned() -> list[tuple[str, str]]:
    lines = (line.split("#")[0].strip() for line in LOCK.read_text().splitlines())
    return [tuple(line.split("==", 1)) for line in lines if line]  # type: ignore[misc]


def _install_lambda(target: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--platform",
        "manylinux2014_aarch64",
        "--only-binary=:all:",
        "--python-version",
        "3.12",
        "--implementation",
        "cp",
        "--target",
        str(target),
        "-r",
        str(LOCK),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode:
        raise PackagingError(f"pip could not build the layer: {result.stderr.strip()[-500:]}")


def _copy_host(target: Path) -> None:
    for name, version in pinned():
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            raise PackagingError(f"{name} is not installed here (needed for a host layer)") from None
        if dist.version != version:
            raise PackagingError(f"{name} {dist.version} is installed, the lock wants {version}")
        for file in dist.files or []:
            if (
                file.parts[0].endswith((".dist-info", ".data"))
                or file.parts[0] in ("..", "bin")
                or "__pycache__" in file.parts
            ):
                continue
            source = Path(str(file.locate()))
            if source.is_file():
                dest = target / str(file)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest)


def build_layer(out_dir: Path, platform: str = "lambda") -> Path:
    """`<out>/layer-<platform>-<hash>.zip` (`python/…` inside); reused while the lock is unchanged."""
    out = out_dir / f"layer-{platform}-{lock_hash(platform)}.zip"
    if out.exists():
        return out
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "python"
        target.mkdir()
        (_install_lambda if platform == "lambda" else _copy_host)(target)
        files = {
            str(p.relative_to(tmp)): p
            for p in target.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(".pyc")
        }
        return _zip(files, out)


def main(argv: list[str] | None = None) -> int:
    from services.topology import TOPOLOGY

    parser = argparse.ArgumentParser(description="Build the Lambda artifacts.")
    parser.add_argument("--platform", choices=("lambda", "host"), default="lambda")
    parser.add_argument("--out", type=Path, default=ROOT / "build")
    args = parser.parse_args(argv)
    try:
        layer = build_layer(args.out, args.platform)
        codes = [build_code_zip(s.name, args.out) for s in TOPOLOGY.services]
    except PackagingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in (layer, *codes):
        print(f"{path.stat().st_size / 1024:10.1f} KB  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
