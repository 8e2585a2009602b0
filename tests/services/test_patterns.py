"""Pattern syntax validation and matching semantics (EventBridge's documented rules)."""

from __future__ import annotations

import pytest

from services.patterns import PatternError, matches, validate_pattern

EVENT = {
    "source": "loadshed.stage",
    "detail-type": "StageChanged",
    "detail": {"region": "national", "stage": 4, "tags": ["a", "b"], "flag": True, "gone": None, "ip": "10.0.0.7"},
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"source": ["loadshed.stage"]}, True),
        ({"source": ["loadshed.schedule"]}, False),
        ({"detail": {"stage": [4]}}, True),
        ({"detail": {"stage": [4.0]}}, True),
        ({"detail": {"stage": ["4"]}}, False),
        ({"detail": {"flag": [1]}}, False),
        ({"detail": {"flag": [True]}}, True),
        ({"detail": {"gone": [None]}}, True),
        ({"detail": {"tags": ["b"]}}, True),
        ({"detail": {"region": [{"prefix": "nat"}]}}, True),
        ({"detail": {"region": [{"suffix": "nal"}]}}, True),
        ({"detail": {"region": [{"prefix": {"equals-ignore-case": "NAT"}}]}}, True),
        ({"detail": {"region": [{"equals-ignore-case": "NATIONAL"}]}}, True),
        ({"detail": {"region": [{"anything-but": "national"}]}}, False),
        ({"detail": {"region": [{"anything-but": ["capetown"]}]}}, True),
        ({"detail": {"region": [{"anything-but": {"prefix": "cape"}}]}}, True),
        ({"detail": {"stage": [{"numeric": [">", 2, "<=", 4]}]}}, True),
        ({"detail": {"stage": [{"numeric": [">", 4]}]}}, False),
        ({"detail": {"missing": [{"exists": False}]}}, True),
        ({"detail": {"missing": [{"exists": True}]}}, False),
        ({"detail": {"stage": [{"exists": True}]}}, True),
        ({"detail": {"missing": ["x"]}}, False),
        ({"detail": {"missing": [{"anything-but": "x"}]}}, False),
        ({"detail": {"region": [{"wildcard": "na*al"}]}}, True),
        ({"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}}, True),
        ({"detail": {"ip": [{"cidr": "10.0.1.0/24"}]}}, False),
        ({"$or": [{"source": ["x"]}, {"detail": {"stage": [4]}}]}, True),
        ({"replay-name": [{"exists": False}]}, True),
    ],
)
def test_matching(pattern, expected):
    validate_pattern(pattern)
    assert matches(pattern, EVENT) is expected


@pytest.mark.parametrize(
    "pattern",
    [
        {},
        [],
        {"source": "loadshed.stage"},
        {"source": []},
        {"source": [{"prefix": 1}]},
        {"source": [{"unknown-op": "x"}]},
        {"source": [{"prefix": "a", "suffix": "b"}]},
        {"detail": {"stage": [{"numeric": [">>", 1]}]}},
        {"detail": {"stage": [{"numeric": [">", "1"]}]}},
        {"detail": {"stage": [{"exists": "yes"}]}},
        {"detail": {"ip": [{"cidr": "not-a-net"}]}},
        {"$or": [{"source": ["x"]}]},
        {"detail": {}},
    ],
)
def test_invalid_patterns(pattern):
    with pytest.raises(PatternError):
        validate_pattern(pattern)
