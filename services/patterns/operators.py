"""Value tests for each pattern operator, applied to one leaf value of a flattened event.

Strings, numbers, booleans and null are distinct kinds, as in event-ruler, which compares JSON
text: `"5"` never equals `5`, `true` never equals `1`, and string operators never match numbers.
`anything-but` matches any present value its operand does not match, whatever its kind.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from typing import Any

Test = Callable[[Any], bool]

FIVE_BILLION = 5_000_000_000
_IPV4 = re.compile(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$")
_IPV6 = re.compile(r"^[0-9a-fA-F:.]+$")


def always(value: Any) -> bool:
    """`exists: true`: any leaf, null included, is present."""
    return True


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def ip_value(text: str) -> tuple[int, int] | None:
    """(version, integer) of an IPv4/IPv6 literal, else None (host names are never resolved)."""
    if not (_IPV4.match(text) or (":" in text and _IPV6.match(text))):
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return address.version, int(address)


def exact(expected: Any, *, ip: bool = True) -> Test:
    """Exact match by kind; numbers compare numerically; an IP literal matches the same address."""
    if expected is None or isinstance(expected, bool):
        return lambda v: v is expected
    if is_number(expected):
        return lambda v: is_number(v) and v == expected
    address = ip_value(expected) if ip else None
    if address is None:
        return lambda v: isinstance(v, str) and v == expected

    def same_ip(value: Any) -> bool:
        return isinstance(value, str) and (value == expected or ip_value(value) == address)

    return same_ip


def affix(kind: str, text: str) -> Test:
    if kind == "prefix":
        return lambda v: isinstance(v, str) and v.startswith(text)
    return lambda v: isinstance(v, str) and v.endswith(text)


def affix_ignore_case(kind: str, text: str) -> Test:
    low = text.lower()
    if kind == "prefix":
        return lambda v: isinstance(v, str) and v.lower().startswith(low)
    return lambda v: isinstance(v, str) and v.lower().endswith(low)


def equals_ignore_case(text: str) -> Test:
    low, up = text.lower(), text.upper()
    return lambda v: isinstance(v, str) and (v.lower() == low or v.upper() == up)


def wildcard(text: str) -> Test:
    """`*` is any run of characters; `\\*` and `\\\\` are a literal star and backslash."""
    parts: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            parts.append(re.escape(text[i + 1]))
            i += 2
            continue
        parts.append(".*" if char == "*" else re.escape(char))
        i += 1
    regex = re.compile("".join(parts), re.DOTALL)
    return lambda v: isinstance(v, str) and regex.fullmatch(v) is not None


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def numeric(conditions: Sequence[tuple[str, float]]) -> Test:
    """Numeric comparisons on JSON numbers within ±5e9 (event-ruler's comparable range)."""
    checks = [(_COMPARE[op], bound) for op, bound in conditions]

    def test(value: Any) -> bool:
        if not is_number(value) or not -FIVE_BILLION <= value <= FIVE_BILLION:
            return False
        return all(check(float(value), bound) for check, bound in checks)

    return test


def cidr(block: tuple[int, int, int]) -> Test:
    version, low, high = block

    def test(value: Any) -> bool:
        address = ip_value(value) if isinstance(value, str) else None
        return address is not None and address[0] == version and low <= address[1] <= high

    return test


def any_of(tests: Sequence[Test]) -> Test:
    return lambda v: any(t(v) for t in tests)


def negate(test: Test) -> Test:
    return lambda v: not test(v)
