"""Classify the differences between two Draft 4 event schemas as compatible or breaking.

Breaking (for a consumer, or for events already in the archive): a field removed or renamed, a
type changed or narrowed, a new required field, an optional field made required, an enum
narrowed, bounds tightened, a pattern/format changed. Compatible: an optional field added,
a description/title/default changed, an enum widened, bounds relaxed, a field made optional.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["compatible", "breaking"]
_DOC_KEYS = ("description", "title", "default", "examples")


@dataclass(frozen=True)
class Change:
    """One difference between an old and a new schema."""

    path: str
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"[{self.severity}] {self.path}: {self.message}"


class _Differ:
    def __init__(self, old_root: dict[str, Any], new_root: dict[str, Any]) -> None:
        self.old_root, self.new_root = old_root, new_root
        self.changes: list[Change] = []

    def add(self, path: str, severity: Severity, message: str) -> None:
        self.changes.append(Change(path, severity, message))

    @staticmethod
    def _resolve(root: dict[str, Any], node: dict[str, Any], seen: int = 0) -> dict[str, Any]:
        ref = node.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/") or seen > 20:
            return node
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _Differ._resolve(root, merged, seen + 1)

    @staticmethod
    def _types(node: dict[str, Any]) -> set[str]:
        value = node.get("type")
        if value is None:
            return set()
        types = {value} if isinstance(value, str) else set(value)
        if "integer" in types and "number" in types:
            types.discard("integer")
        return types

    def compare(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        old, new = self._resolve(self.old_root, old), self._resolve(self.new_root, new)
        self._compare_types(old, new, path)
        self._compare_enum(old, new, path)
        self._compare_bounds(old, new, path)
        for key in ("pattern", "format"):
            if old.get(key) != new.get(key):
                self.add(path, "breaking", f"{key} changed from {old.get(key)!r} to {new.get(key)!r}")
        for key in _DOC_KEYS:
            if old.get(key) != new.get(key):
                self.add(path, "compatible", f"{key} changed")
        if "properties" in old or "properties" in new:
            self._compare_properties(old, new, path)
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            self.compare(old["items"], new["items"], f"{path}[]")
        self._compare_alternatives(old, new, path)

    def _compare_types(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        old_t, new_t = self._types(old), self._types(new)
        if old_t == new_t:
            return
        widened = {"integer"} <= old_t and "number" in new_t
        lost = old_t - new_t - ({"integer"} if widened else set())
        if lost or (old_t and not new_t and not new.get("anyOf")):
            self.add(path, "breaking", f"type changed from {sorted(old_t)} to {sorted(new_t)}")
        elif new_t - old_t:
            self.add(path, "compatible", f"type widened from {sorted(old_t)} to {sorted(new_t)}")

    def _compare_enum(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        if "enum" not in old and "enum" not in new:
            return
        if "enum" not in old:
            self.add(path, "breaking", f"restricted to {new['enum']}")
            return
        if "enum" not in new:
            self.add(path, "compatible", "enum restriction removed")
            return
        removed = [v for v in old["enum"] if v not in new["enum"]]
        added = [v for v in new["enum"] if v not in old["enum"]]
        if removed:
            self.add(path, "breaking", f"enum narrowed: {removed} removed")
        if added:
            self.add(path, "compatible", f"enum widened: {added} added")

    def _compare_bounds(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        for key, tighter in (
            ("minimum", lambda o, n: n > o),
            ("minLength", lambda o, n: n > o),
            ("minItems", lambda o, n: n > o),
            ("maximum", lambda o, n: n < o),
            ("maxLength", lambda o, n: n < o),
            ("maxItems", lambda o, n: n < o),
        ):
            o, n = old.get(key), new.get(key)
            if o == n:
                continue
            if o is None or (n is not None and tighter(o, n)):
                self.add(path, "breaking", f"{key} tightened from {o} to {n}")
            else:
                self.add(path, "compatible", f"{key} relaxed from {o} to {n}")

    def _compare_properties(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        old_p, new_p = old.get("properties", {}), new.get("properties", {})
        old_req, new_req = set(old.get("required", [])), set(new.get("required", []))
        for name in old_p:
            if name not in new_p:
                self.add(f"{path}.{name}", "breaking", "field removed (or renamed)")
        for name in new_p:
            field = f"{path}.{name}"
            if name not in old_p:
                if name in new_req:
                    self.add(field, "breaking", "new required field")
                else:
                    self.add(field, "compatible", "optional field added")
                continue
            if name in new_req and name not in old_req:
                self.add(field, "breaking", "field became required")
            elif name in old_req and name not in new_req:
                self.add(field, "compatible", "field became optional")
            self.compare(old_p[name], new_p[name], field)

    def _compare_alternatives(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        for key in ("anyOf", "oneOf", "allOf"):
            o, n = old.get(key), new.get(key)
            if o is None and n is None:
                continue
            canon_o = sorted(json.dumps(x, sort_keys=True) for x in (o or []))
            canon_n = sorted(json.dumps(x, sort_keys=True) for x in (n or []))
            if canon_o == canon_n and "$ref" not in json.dumps(o):
                continue
            if o is not None and n is not None and len(o) == len(n):
                for i, (a, b) in enumerate(zip(o, n, strict=True)):
                    self.compare(a, b, f"{path}<{key}:{i}>")
                continue
            if key == "anyOf" and o is not None and n is not None and set(canon_o) <= set(canon_n):
                self.add(path, "compatible", f"{key} alternatives added")
            else:
                self.add(path, "breaking", f"{key} alternatives changed")


def diff_schemas(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every difference from `old` to `new` (whole-event Draft 4 schemas), classified."""
    differ = _Differ(old, new)
    old_detail = old.get("properties", {}).get("detail", {})
    new_detail = new.get("properties", {}).get("detail", {})
    differ.compare(old_detail, new_detail, "detail")
    for key in ("source", "detail-type"):
        o = old.get("properties", {}).get(key, {}).get("enum")
        n = new.get("properties", {}).get(key, {}).get("enum")
        if o != n:
            differ.add(key, "breaking", f"changed from {o} to {n}")
    return differ.changes


def is_breaking(changes: list[Change]) -> bool:
    """True when any change is breaking."""
    return any(c.severity == "breaking" for c in changes)
