"""Matching a compiled pattern against an event, as event-ruler's `rulesForJSONEvent` does.

The event is flattened once into leaf values per dotted path (`{"a": {"b": 1}}` and
`{"a.b": 1}` both give `a.b`). Arrays are crushed into their parent field, and each leaf remembers
which element of which array it came from: a branch matches only through leaves that never sit in
different elements of the same array ("array-consistent matching"). Empty arrays and objects hold
no leaf, so for matching they are absent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.patterns.compile import Field

Membership = tuple[tuple[int, int], ...]
FlatEvent = dict[str, list[tuple[Any, Membership]]]


def flatten(event: Mapping[str, Any]) -> FlatEvent:
    """Leaf values of `event` by dotted path, each with the (array, index) pairs that contain it."""
    out: FlatEvent = {}
    arrays = [0]

    def walk(node: Any, path: str, membership: Membership) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else str(key), membership)
        elif isinstance(node, list):
            arrays[0] += 1
            array_id = arrays[0]
            for index, item in enumerate(node):
                walk(item, path, (*membership, (array_id, index)))
        else:
            out.setdefault(path, []).append((node, membership))

    walk(event, "", ())
    return out


def branch_matches(fields: Sequence[Field], flat: FlatEvent) -> bool:
    """True when every field matches, through leaves that are array-consistent with each other."""
    candidates: list[list[Membership]] = []
    for field in fields:
        leaves = flat.get(field.path)
        if leaves is None:
            if field.absent_ok:
                continue
            return False
        found = list(dict.fromkeys(m for value, m in leaves if any(test(value) for test in field.tests)))
        if not found:
            return False
        candidates.append(found)
    if all(() in found for found in candidates):
        return True
    return _consistent(candidates, 0, {})


def _consistent(candidates: list[list[Membership]], i: int, chosen: dict[int, int]) -> bool:
    """Backtracking: pick one leaf per field so that no array is entered at two different indexes."""
    if i == len(candidates):
        return True
    for membership in candidates[i]:
        if any(chosen.get(array, index) != index for array, index in membership):
            continue
        added = [array for array, _ in membership if array not in chosen]
        chosen.update(membership)
        if _consistent(candidates, i + 1, chosen):
            return True
        for array in added:
            del chosen[array]
    return False
