"""Pattern validation and compilation in one pass, following event-ruler's `JsonRuleCompiler`.

A pattern compiles to branches (one per `$or` alternative, as event-ruler expands them); a branch
maps a flattened field path (`detail.state`, dotted keys and nesting alike) to one `Field`: the
value tests of its matchers and whether absence (`exists: false`) satisfies it. Anything AWS
rejects raises `PatternError` naming the path and the rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from services.patterns import operators as ops
from services.patterns.match import FlatEvent, branch_matches, flatten

Test = Callable[[Any], bool]

# Field names event-ruler reserves inside `$or` objects (Constants.RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP).
_RESERVED_IN_OR = frozenset(
    {"anything-but", "exists", "prefix", "suffix", "numeric", "cidr", "equals-ignore-case", "wildcard", "exactly"}
)


class PatternError(ValueError):
    """An event pattern AWS would reject; the message names the path and the rule."""


@dataclass(frozen=True)
class Field:
    """One field of a branch: any of `tests` on a present leaf, or absence when `absent_ok`."""

    path: str
    tests: tuple[Test, ...]
    absent_ok: bool


@dataclass(frozen=True)
class CompiledPattern:
    """A validated pattern: it matches when any branch matches (see `services.patterns.match`)."""

    branches: tuple[tuple[Field, ...], ...]

    def matches(self, event: Mapping[str, Any]) -> bool:
        return self.matches_flat(flatten(event))

    def matches_flat(self, flat: FlatEvent) -> bool:
        """Match an event flattened once with `flatten` (the bus tests one event against many rules)."""
        return any(branch_matches(b, flat) for b in self.branches)


Branch = dict[str, Field]


def compile_pattern(pattern: Any) -> CompiledPattern:
    """Validate `pattern` (a parsed JSON value) and compile it; raise `PatternError` if AWS would reject it."""
    if not isinstance(pattern, Mapping):
        raise PatternError("pattern: must be a JSON object")
    branches: list[Branch] = [{}]
    branches = _object(pattern, "", branches, in_or=False)
    return CompiledPattern(tuple(tuple(b.values()) for b in branches))


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """True when `event` (any JSON object, e.g. an event as EventBridge delivers it) matches `pattern`."""
    return compile_pattern(pattern).matches(event)


def validate_pattern(pattern: Any, path: str = "pattern") -> None:
    """Raise `PatternError` unless `pattern` is valid EventBridge event-pattern syntax."""
    try:
        compile_pattern(pattern)
    except PatternError as exc:
        if path == "pattern":
            raise
        raise PatternError(f"{path}: {exc}") from None


def _object(obj: Mapping[str, Any], prefix: str, branches: list[Branch], *, in_or: bool) -> list[Branch]:
    if not obj:
        raise PatternError(f"{prefix or 'pattern'}: empty objects are not allowed")
    for key, value in obj.items():
        if not isinstance(key, str):
            raise PatternError(f"{prefix or 'pattern'}: keys must be strings")
        if key == "$or":
            branches = _or(value, prefix, branches)
            continue
        here = f"{prefix}.{key}" if prefix else key
        if in_or and key in _RESERVED_IN_OR:
            raise PatternError(f"{here}: {key!r} is a reserved name and cannot be a field inside $or")
        if isinstance(value, Mapping):
            branches = _object(value, here, branches, in_or=in_or)
        elif isinstance(value, list):
            field = _field(here, value)
            for branch in branches:
                branch[here] = field
        else:
            raise PatternError(f"{here}: must be an object or an array")
    return branches


def _or(value: Any, prefix: str, branches: list[Branch]) -> list[Branch]:
    where = f"{prefix}.$or" if prefix else "$or"
    if not isinstance(value, list):
        raise PatternError(f"{where}: must be an array of objects")
    if len(value) < 2:
        raise PatternError(f"{where}: needs at least 2 objects")
    result: list[Branch] = []
    for i, alternative in enumerate(value):
        if not isinstance(alternative, Mapping):
            raise PatternError(f"{where}[{i}]: only objects are allowed in $or")
        copies = [dict(b) for b in branches]
        result += _object(alternative, prefix, copies, in_or=True)
    return result


def _field(path: str, matchers: list[Any]) -> Field:
    if not matchers:
        raise PatternError(f"{path}: empty arrays are not allowed")
    tests: list[Test] = []
    absent_ok = False
    for i, matcher in enumerate(matchers):
        where = f"{path}[{i}]"
        if isinstance(matcher, Mapping):
            name, operand = _single(matcher, where)
            if name == "exists":
                if not isinstance(operand, bool):
                    raise PatternError(f"{where}.exists: must be true or false")
                if operand:
                    tests.append(ops.always)
                else:
                    absent_ok = True
                continue
            tests.append(_operator(name, operand, f"{where}.{name}"))
        elif isinstance(matcher, list):
            raise PatternError(f"{where}: a match value must be a string, number, true, false, null or an object")
        else:
            tests.append(ops.exact(_literal(matcher, where)))
    return Field(path, tuple(tests), absent_ok)


def _single(matcher: Mapping[str, Any], where: str) -> tuple[str, Any]:
    if not matcher:
        raise PatternError(f"{where}: match expression name not found")
    if len(matcher) != 1:
        raise PatternError(f"{where}: only one key allowed in a match expression")
    ((name, operand),) = matcher.items()
    return str(name), operand


def _literal(value: Any, where: str) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise PatternError(f"{where}: {value!r} is not a finite JSON number")
    if value is not None and not isinstance(value, (str, bool, int, float)):
        raise PatternError(f"{where}: a match value must be a string, number, true, false, null or an object")
    return value


def _string(operand: Any, where: str) -> str:
    if not isinstance(operand, str):
        raise PatternError(f"{where}: must be a string")
    return operand


def _affix(name: str, operand: Any, where: str) -> Test:
    if isinstance(operand, Mapping):
        inner, text = _single(operand, where)
        if inner != "equals-ignore-case":
            raise PatternError(f"{where}: unsupported {name} pattern {inner!r}")
        return ops.affix_ignore_case(name, _string(text, f"{where}.equals-ignore-case"))
    return ops.affix(name, _string(operand, where))


_OPERATORS: dict[str, Callable[[str, Any, str], Test]] = {
    "prefix": _affix,
    "suffix": _affix,
    "exactly": lambda _, o, w: ops.exact(_string(o, w)),
    "equals-ignore-case": lambda _, o, w: ops.equals_ignore_case(_string(o, w)),
    "wildcard": lambda _, o, w: ops.wildcard(_wildcard(_string(o, w), w)),
    "numeric": lambda _, o, w: _numeric(o, w),
    "cidr": lambda _, o, w: ops.cidr(_cidr(_string(o, w), w)),
    "anything-but": lambda _, o, w: _anything_but(o, w),
}


def _operator(name: str, operand: Any, where: str) -> Test:
    build = _OPERATORS.get(name)
    if build is None:
        raise PatternError(f"{where}: unrecognized match type {name!r}")
    return build(name, operand, where)


def _wildcard(text: str, where: str) -> str:
    """Check event-ruler's wildcard rules: no `**`; a backslash escapes only `*` or `\\`."""
    i = 0
    while i < len(text):
        if text[i] == "*" and text[i + 1 : i + 2] == "*":
            raise PatternError(f"{where}: consecutive wildcard characters at position {i}")
        if text[i] == "\\":
            if text[i + 1 : i + 2] not in ("*", "\\"):
                raise PatternError(f"{where}: invalid escape character at position {i}")
            i += 1
        i += 1
    return text


def _number(value: Any, where: str) -> float:
    """A numeric operand as event-ruler accepts it: a JSON number within ±5e9, at most 6 decimals."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PatternError(f"{where}: {value!r} must be a number")
    if not math.isfinite(value) or abs(value) > ops.FIVE_BILLION:
        raise PatternError(f"{where}: {value!r} must be between -5e9 and 5e9")
    try:
        exponent = Decimal(repr(value)).normalize().as_tuple().exponent
    except InvalidOperation:  # pragma: no cover - repr of a finite number always parses
        exponent = 0
    if isinstance(exponent, int) and exponent < -6:
        raise PatternError(f"{where}: {value!r} has more than 6 decimals")
    return float(value)


def _numeric(operand: Any, where: str) -> Test:
    if not isinstance(operand, list) or not operand:
        raise PatternError(f"{where}: must be an array such as ['>', 0, '<=', 5]")
    op = operand[0]
    if not isinstance(op, str) or op not in ("=", "<", "<=", ">", ">="):
        raise PatternError(f"{where}: unrecognized numeric operator {op!r}")
    if len(operand) < 2:
        raise PatternError(f"{where}: {op} needs a number")
    first = _number(operand[1], where)
    rest = operand[2:]
    if not rest:
        return ops.numeric(((op, first),))
    if op not in (">", ">="):
        raise PatternError(f"{where}: too many elements after {op!r} (a range starts with > or >=)")
    if len(rest) != 2 or rest[0] not in ("<", "<="):
        raise PatternError(f"{where}: a range is [>|>=, low, <|<=, high]")
    top = _number(rest[1], where)
    if not first < top:
        raise PatternError(f"{where}: the bottom of a range must be less than its top")
    return ops.numeric(((op, first), (rest[0], top)))


def _cidr(text: str, where: str) -> tuple[int, int, int]:
    parts = text.split("/")
    if len(parts) != 2:
        raise PatternError(f"{where}: malformed CIDR, one '/' required")
    try:
        bits = int(parts[1])
    except ValueError:
        raise PatternError(f"{where}: malformed CIDR, mask bits must be an integer") from None
    address = ops.ip_value(parts[0])
    if address is None:
        raise PatternError(f"{where}: {parts[0]!r} is not an IP address")
    version, value = address
    width = 32 if version == 4 else 128
    if bits < 0 or bits > width - 1:
        raise PatternError(f"{where}: IPv{version} mask bits must be between 0 and {width - 1}")
    host = (1 << (width - bits)) - 1
    return version, value, value | host


def _anything_but(operand: Any, where: str) -> Test:
    if isinstance(operand, Mapping):
        kind, inner = _single(operand, where)
        if kind not in ("prefix", "suffix", "equals-ignore-case", "wildcard"):
            raise PatternError(f"{where}: unsupported anything-but pattern {kind!r}")
        values = inner if isinstance(inner, list) else [inner]
        texts = [_string(v, f"{where}.{kind}") for v in values]
        if kind in ("prefix", "suffix") and any(t == "" for t in texts):
            raise PatternError(f"{where}.{kind}: an empty prefix/suffix is not allowed")
        if kind == "wildcard":
            texts = [_wildcard(t, f"{where}.wildcard") for t in texts]
        return ops.negate(ops.any_of([_operator(kind, t, where) for t in texts]))
    values = operand if isinstance(operand, list) else [operand]
    strings = [v for v in values if isinstance(v, str)]
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not values or len(strings) + len(numbers) != len(values) or (strings and numbers):
        raise PatternError(f"{where}: takes a string, a number, or a non-empty list of only strings or only numbers")
    for n in numbers:
        _number(n, where)
    return ops.negate(ops.any_of([ops.exact(v, ip=False) for v in values]))
