"""EventBridge event patterns: syntax validation and matching, as EventBridge evaluates them.

The topology declares patterns; Pulumi hands them to EventBridge rules, and the embedded bus
routes with `matches` — so both runtimes route by the same data. A test sends the same events
through moto's EventBridge and through `matches` and compares the routing.

Supported: exact values (string, number, boolean, null), `prefix`, `suffix`,
`equals-ignore-case`, `anything-but` (value, list, or prefix/suffix/equals-ignore-case),
`numeric`, `exists`, `wildcard`, `cidr`, nested objects and `$or`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

_MISSING = object()
_NUMERIC_OPS = {"<", "<=", "=", ">=", ">"}
_STRING_OPS = ("prefix", "suffix", "equals-ignore-case", "wildcard")


class PatternError(ValueError):
    """An event pattern is not valid EventBridge syntax; the message gives the path."""


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, bool, int, float))


def _validate_string_op(name: str, value: Any, path: str) -> None:
    if isinstance(value, Mapping) and name in ("prefix", "suffix"):
        if list(value) != ["equals-ignore-case"] or not isinstance(value["equals-ignore-case"], str):
            raise PatternError(f"{path}: {name} takes a string or {{equals-ignore-case: string}}")
        return
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) for v in values):
        raise PatternError(f"{path}: {name} takes a string")


def _validate_matcher(matcher: Any, path: str) -> None:
    if _is_scalar(matcher):
        return
    if not isinstance(matcher, Mapping) or len(matcher) != 1:
        raise PatternError(f"{path}: a matcher is a value or an object with one operator")
    ((name, value),) = matcher.items()
    if name in _STRING_OPS:
        _validate_string_op(name, value, f"{path}.{name}")
    elif name == "exists":
        if not isinstance(value, bool):
            raise PatternError(f"{path}.exists: takes true or false")
    elif name == "numeric":
        if not isinstance(value, list) or not value or len(value) % 2 or len(value) > 4:
            raise PatternError(f"{path}.numeric: takes [op, number] or [op, n, op, n]")
        for op, num in zip(value[::2], value[1::2], strict=True):
            if op not in _NUMERIC_OPS or isinstance(num, bool) or not isinstance(num, (int, float)):
                raise PatternError(f"{path}.numeric: bad comparison {op!r} {num!r}")
    elif name == "anything-but":
        if isinstance(value, Mapping):
            if len(value) != 1 or next(iter(value)) not in ("prefix", "suffix", "equals-ignore-case", "wildcard"):
                raise PatternError(
                    f"{path}.anything-but: nested operator must be prefix/suffix/equals-ignore-case/wildcard"
                )
            _validate_matcher(value, f"{path}.anything-but")
        elif isinstance(value, list):
            if not value or not all(_is_scalar(v) and v is not None for v in value):
                raise PatternError(f"{path}.anything-but: takes a non-empty list of values")
        elif not _is_scalar(value) or value is None:
            raise PatternError(f"{path}.anything-but: takes a value, a list or an operator")
    elif name == "cidr":
        try:
            ipaddress.ip_network(value)
        except (TypeError, ValueError):
            raise PatternError(f"{path}.cidr: not a CIDR block: {value!r}") from None
    else:
        raise PatternError(f"{path}: unknown operator {name!r}")


def validate_pattern(pattern: Any, path: str = "pattern") -> None:
    """Raise `PatternError` unless `pattern` is valid EventBridge event-pattern syntax."""
    if not isinstance(pattern, Mapping) or not pattern:
        raise PatternError(f"{path}: must be a non-empty object")
    for key, value in pattern.items():
        if not isinstance(key, str) or not key:
            raise PatternError(f"{path}: keys must be non-empty strings")
        here = f"{path}.{key}"
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                raise PatternError(f"{here}: takes a list of at least two patterns")
            for i, branch in enumerate(value):
                validate_pattern(branch, f"{here}[{i}]")
        elif isinstance(value, Mapping):
            validate_pattern(value, here)
        elif isinstance(value, list):
            if not value:
                raise PatternError(f"{here}: a list of matchers must not be empty")
            for i, matcher in enumerate(value):
                _validate_matcher(matcher, f"{here}[{i}]")
        else:
            raise PatternError(f"{here}: must be a list of matchers or a nested object")


def _wildcard(value: str, pattern: str) -> bool:
    regex = "".join(".*" if part == "*" else re.escape(part) for part in re.split(r"(\*)", pattern))
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def _same(value: Any, expected: Any) -> bool:
    """Exact match as EventBridge does it: numbers numerically, booleans never equal numbers."""
    if isinstance(value, bool) or isinstance(expected, bool):
        return isinstance(value, bool) and isinstance(expected, bool) and value == expected
    if isinstance(value, (int, float)) and isinstance(expected, (int, float)):
        return float(value) == float(expected)
    return type(value) is type(expected) and value == expected


def _string_op(name: str, operand: Any, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if isinstance(operand, Mapping):
        target, value = operand["equals-ignore-case"].lower(), value.lower()
        return value.startswith(target) if name == "prefix" else value.endswith(target)
    operands = operand if isinstance(operand, list) else [operand]
    if name == "prefix":
        return any(value.startswith(o) for o in operands)
    if name == "suffix":
        return any(value.endswith(o) for o in operands)
    if name == "equals-ignore-case":
        return any(value.lower() == o.lower() for o in operands)
    return any(_wildcard(value, o) for o in operands)


def _scalar_matches(matcher: Any, value: Any) -> bool:
    if _is_scalar(matcher):
        return _same(value, matcher)
    ((name, operand),) = matcher.items()
    if name in _STRING_OPS:
        return _string_op(name, operand, value)
    if name == "numeric":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        checks = {"<": float.__lt__, "<=": float.__le__, "=": float.__eq__, ">=": float.__ge__, ">": float.__gt__}
        return all(checks[op](float(value), float(n)) for op, n in zip(operand[::2], operand[1::2], strict=True))
    if name == "anything-but":
        if isinstance(operand, Mapping):
            return not _scalar_matches(operand, value)
        operands = operand if isinstance(operand, list) else [operand]
        return not any(_same(value, o) for o in operands)
    if name == "cidr":
        try:
            return ipaddress.ip_address(value) in ipaddress.ip_network(operand)
        except (TypeError, ValueError):
            return False
    return False


def _field_matches(matchers: list[Any], value: Any) -> bool:
    for matcher in matchers:
        if isinstance(matcher, Mapping) and "exists" in matcher:
            present = value is not _MISSING and not (isinstance(value, Mapping) and value)
            if present == matcher["exists"]:
                return True
            continue
        if value is _MISSING or (isinstance(value, Mapping) and value):
            continue
        values = value if isinstance(value, list) else [value]
        if any(_scalar_matches(matcher, v) for v in values):
            return True
    return False


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """True when `event` (as delivered: source, detail-type, detail, …) matches `pattern`."""
    for key, expected in pattern.items():
        if key == "$or":
            if not any(matches(branch, event) for branch in expected):
                return False
            continue
        value = event.get(key, _MISSING) if isinstance(event, Mapping) else _MISSING
        if isinstance(expected, Mapping):
            if not matches(expected, value if isinstance(value, Mapping) else {}):
                return False
        elif not _field_matches(expected, value):
            return False
    return True
