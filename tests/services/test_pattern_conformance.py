"""EventBridge pattern conformance: (pattern, event, expected) triples with the source of each expectation.

Sources, abbreviated in the comments:
- [CF]   AWS docs, "Content filtering in Amazon EventBridge event patterns" (eb-event-patterns-content-based-filtering)
- [ARR]  AWS docs, "Arrays in Amazon EventBridge event patterns"
- [NULL] AWS docs, "Matching events on null values and empty strings"
- [ER]   aws/event-ruler README (the engine behind EventBridge): JSON array matching, dotted keys, exists on leaves
- [ERC]  aws/event-ruler JsonRuleCompiler / WildcardParser / CIDR / ComparableNumber (what compiles, what is rejected)
- [ISS]  cases quoted in issue 11, checked by its reporter against AWS TestEventPattern or event-ruler

moto is deliberately not the oracle: it shares several of the divergences fixed here (NOTES.md).
"""

from __future__ import annotations

import pytest

from services.patterns import PatternError, matches, validate_pattern

EC2 = {  # [ER] "Ruler by Example" event
    "version": "0",
    "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "012345679012",
    "time": "2017-10-02T16:24:49Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
    "detail": {
        "c-count": 5,
        "d-count": 3,
        "x-limit": 301.8,
        "source-ip": "10.0.0.33",
        "instance-id": "i-000000aaaaaa00000",
        "state": "running",
    },
}
EMPLOYEES = {  # [ER] "JSON Array Matching"
    "employees": [
        {"firstName": "John", "lastName": "Doe"},
        {"firstName": "Anna", "lastName": "Smith"},
        {"firstName": "Peter", "lastName": "Jones"},
    ]
}
NESTED_EMPLOYEES = {
    "employees": [
        [{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}],
        [{"firstName": "Peter", "lastName": "Jones"}],
    ]
}
NULLS = {"detail": {"eventVersion": "", "responseElements": None}, "resources": []}  # [NULL]

CASES = [
    # exact values [CF][ER]
    ({"source": ["aws.ec2"]}, EC2, True),
    ({"source": ["aws.s3"]}, EC2, False),
    ({"detail": {"state": ["initializing", "running"]}}, EC2, True),
    ({"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"]}, EC2, True),
    ({"detail": {"c-count": [5]}}, EC2, True),
    ({"detail": {"c-count": [5.0]}}, EC2, True),  # numbers compare as numbers [ERC numericEquals]
    ({"detail": {"c-count": ["5"]}}, EC2, False),  # a string is not a number [ER "JSON text matching"]
    ({"detail": {"state": ["RUNNING"]}}, EC2, False),  # case-sensitive [CF]
    ({"detail": {"x-limit": [3.018e2]}}, EC2, True),
    ({"account": ["012345679012"]}, EC2, True),
    ({"account": [12345679012]}, EC2, False),
    ({"a": [True]}, {"a": True}, True),
    ({"a": [True]}, {"a": "true"}, False),
    ({"a": [1]}, {"a": True}, False),
    ({"a": [False]}, {"a": 0}, False),
    ({"a": ["true"]}, {"a": True}, False),
    # null and empty string [NULL]
    ({"detail": {"eventVersion": [""]}}, NULLS, True),
    ({"detail": {"responseElements": [None]}}, NULLS, True),
    ({"detail": {"responseElements": [""]}}, NULLS, False),
    ({"detail": {"eventVersion": [None]}}, NULLS, False),
    ({"detail": {"missing": [None]}}, NULLS, False),
    ({"a": ["null"]}, {"a": None}, False),
    # prefix / suffix / equals-ignore-case [CF]
    ({"time": [{"prefix": "2017-10-02"}]}, EC2, True),
    ({"time": [{"prefix": "2018"}]}, EC2, False),
    ({"a": [{"prefix": "1"}]}, {"a": 10}, False),  # string-valued fields only
    ({"a": [{"prefix": ""}]}, {"a": "x"}, True),
    ({"a": [{"prefix": ""}]}, {"a": 1}, False),
    ({"FileName": [{"suffix": ".png"}]}, {"FileName": "image.png"}, True),
    ({"FileName": [{"suffix": ".png"}]}, {"FileName": "image.PNG"}, False),
    ({"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}, {"service": "eventbridge"}, True),
    ({"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}, {"service": "S3"}, False),
    ({"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}, {"FileName": "A.PNG"}, True),
    ({"source": [{"equals-ignore-case": "AWS.EC2"}]}, EC2, True),
    ({"source": [{"equals-ignore-case": "aws.ec"}]}, EC2, False),
    ({"a": [{"equals-ignore-case": "5"}]}, {"a": 5}, False),
    # anything-but in all its forms [CF][ERC]
    ({"detail": {"state": [{"anything-but": "initializing"}]}}, EC2, True),
    ({"detail": {"state": [{"anything-but": "running"}]}}, EC2, False),
    ({"detail": {"x-limit": [{"anything-but": 123}]}}, EC2, True),
    ({"detail": {"x-limit": [{"anything-but": 301.8}]}}, EC2, False),
    ({"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}, EC2, True),
    ({"detail": {"state": [{"anything-but": ["stopped", "running"]}]}}, EC2, False),
    ({"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}, EC2, True),
    ({"detail": {"c-count": [{"anything-but": [5, 6]}]}}, EC2, False),
    ({"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}, EC2, True),
    ({"detail": {"state": [{"anything-but": {"prefix": "run"}}]}}, EC2, False),
    ({"FileName": [{"anything-but": {"suffix": ".txt"}}]}, {"FileName": "a.png"}, True),
    ({"FileName": [{"anything-but": {"suffix": ".txt"}}]}, {"FileName": "a.txt"}, False),
    ({"state": [{"anything-but": {"equals-ignore-case": ["Stopped", "OverLoaded"]}}]}, {"state": "STOPPED"}, False),
    ({"state": [{"anything-but": {"equals-ignore-case": ["Stopped", "OverLoaded"]}}]}, {"state": "running"}, True),
    ({"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}, {"FilePath": "/usr/lib/x"}, False),
    ({"FilePath": [{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}]}, {"FilePath": "/usr/share/x"}, True),
    ({"state": [{"anything-but": "x"}]}, {}, False),  # a missing field matches nothing but exists:false [ER]
    ({"a": [{"anything-but": "x"}]}, {"a": ["x", "y"]}, True),  # any array value may satisfy [ARR]
    ({"a": [{"anything-but": "x"}]}, {"a": ["x"]}, False),
    ({"a": [{"anything-but": 5}]}, {"a": "5"}, True),  # a string is never the number 5
    # numeric [CF][ER]
    ({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}, EC2, True),
    ({"detail": {"c-count": [{"numeric": [">", 0, "<", 5]}]}}, EC2, False),
    ({"detail": {"d-count": [{"numeric": ["<", 10]}]}}, EC2, True),
    ({"detail": {"x-limit": [{"numeric": ["=", 3.018e2]}]}}, EC2, True),
    ({"detail": {"x-limit": [{"numeric": [">=", 301.8]}]}}, EC2, True),
    ({"detail": {"x-limit": [{"numeric": [">", 301.8]}]}}, EC2, False),
    ({"a": [{"numeric": [">", 0]}]}, {"a": "5"}, False),  # JSON numbers only
    ({"a": [{"numeric": [">", 0]}]}, {"a": True}, False),
    ({"a": [{"numeric": ["<", 0]}]}, {"a": -5e9}, True),
    ({"a": [{"numeric": [">", 0]}]}, {"a": 6e9}, False),  # outside ±5e9 nothing compares
    ({"a": [{"numeric": [">", 10]}]}, {"a": [1, 20]}, True),
    # exists [CF][ER]
    ({"detail": {"c-count": [{"exists": True}]}}, EC2, True),
    ({"detail": {"c-count": [{"exists": False}]}}, EC2, False),
    ({"detail": {"nope": [{"exists": False}]}}, EC2, True),
    ({"detail": {"c-count": [{"exists": False}]}}, {"detail": {"c-count": {"c1": 100}}}, True),  # leaves only
    ({"detail": {"c-count": [{"exists": True}]}}, {"detail": {"c-count": {"c1": 100}}}, False),
    ({"a": [{"exists": True}]}, {"a": None}, True),
    ({"a": [{"exists": True}]}, {"a": []}, False),  # [ISS] AWS-validated
    ({"a": [{"exists": False}]}, {"a": []}, True),  # [ISS]
    ({"a": [{"exists": False}]}, {"a": {}}, True),  # [ISS] a field holding {} is absent
    ({"a": [{"exists": True}]}, {"a": {}}, False),
    ({"a": [{"exists": False}, "x"]}, {"a": "x"}, True),
    # wildcard [CF][ERC WildcardParser]
    ({"source": [{"wildcard": "Simple*Service"}]}, {"source": "SimpleQueueService"}, True),
    ({"source": [{"wildcard": "Simple*Service"}]}, {"source": "SimpleService"}, True),
    ({"source": [{"wildcard": "Simple*Service"}]}, {"source": "SimpleServices"}, False),
    ({"a": [{"wildcard": "a\\*b"}]}, {"a": "a*b"}, True),  # [ISS] escaped star is literal
    ({"a": [{"wildcard": "a\\*b"}]}, {"a": "axxb"}, False),
    ({"a": [{"wildcard": "a\\\\b"}]}, {"a": "a\\b"}, True),  # escaped backslash
    ({"a": [{"wildcard": "*"}]}, {"a": ""}, True),
    ({"a": [{"wildcard": "*"}]}, {"a": 1}, False),
    ({"a": [{"wildcard": "dir/*/file"}]}, {"a": "dir/x/y/file"}, True),
    # cidr [CF][ERC CIDR]
    ({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, EC2, True),
    ({"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}, EC2, False),
    ({"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db8::1"}, True),
    ({"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db9::1"}, False),
    ({"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "not an ip"}, False),
    ({"ip": ["10.0.0.33"]}, {"ip": "10.0.0.33"}, True),
    ({"ip": ["10.0.0.33"]}, {"ip": "10.0.0.34"}, False),
    # $or [CF][ER]
    ({"source": ["aws.ec2"], "$or": [{"detail": {"c-count": [1]}}, {"detail": {"d-count": [3]}}]}, EC2, True),
    ({"source": ["aws.ec2"], "$or": [{"detail": {"c-count": [1]}}, {"detail": {"d-count": [4]}}]}, EC2, False),
    ({"detail": {"$or": [{"state": ["x"]}, {"c-count": [{"numeric": [">", 4]}]}]}}, EC2, True),
    (
        {
            "$or": [
                {"source": ["x"]},
                {"source": ["aws.ec2"], "$or": [{"region": ["y"]}, {"account": ["012345679012"]}]},
            ]
        },
        EC2,
        True,
    ),
    # arrays on either side [ARR][ER]
    ({"resources": ["x", "arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"]}, EC2, True),
    ({"a": ["x"]}, {"a": ["y", "x"]}, True),
    ({"a": ["x"]}, {"a": ["y", "z"]}, False),
    ({"employees": {"firstName": ["Anna"]}}, EMPLOYEES, True),
    ({"employees": {"firstName": ["Anna"]}}, NESTED_EMPLOYEES, True),
    ({"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}, EMPLOYEES, True),
    ({"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}, EMPLOYEES, False),  # array consistency
    ({"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}, NESTED_EMPLOYEES, False),
    ({"d": {"a": [100]}}, {"d": [{"a": 100}]}, True),  # [ISS]
    ({"c": {"d": [{"exists": False}]}}, {"c": [{"d": 100}]}, False),  # [ISS]
    ({"c": {"d": [{"exists": True}]}}, {"c": [{"e": 1}, {"d": 2}]}, True),
    ({"a": {"b": [1]}}, {"a": [[{"b": 1}]]}, True),
    # dotted keys [ER "Caveat: Compiled rules and JSON keys with dots"]
    ({"detail": {"state.status": ["running"]}}, {"detail": {"state": {"status": "running"}}}, True),
    ({"detail": {"state": {"status": ["running"]}}}, {"detail": {"state.status": "running"}}, True),
    ({"detail.state": ["running"]}, EC2, True),
    ({"detail.state": ["stopped"]}, EC2, False),
    # nesting: a pattern object never matches a leaf, and a leaf never matches an object
    ({"detail": {"state": {"x": ["running"]}}}, EC2, False),
    ({"detail": ["running"]}, EC2, False),
]


@pytest.mark.parametrize(("pattern", "event", "expected"), CASES)
def test_conformance(pattern, event, expected):
    validate_pattern(pattern)
    assert matches(pattern, event) is expected


INVALID = [
    # structure [ERC doCompile / parseObject / writeRules]
    [],
    {},
    {"source": "aws.ec2"},
    {"source": []},
    {"detail": {}},
    {"source": [["a"]]},
    {"source": [{}]},
    {"source": [{"prefix": "a", "suffix": "b"}]},
    {"source": [{"unknown-op": "x"}]},
    # $or [ERC parseIntoOrRelationship]
    {"$or": [{"source": ["x"]}]},
    {"$or": {"source": ["x"]}},
    {"$or": [{"source": ["x"]}, "y"]},
    {"$or": [{"numeric": [1]}, {"prefix": ["a"]}]},
    # list operands where a string is required [ISS][ERC]
    {"a": [{"prefix": ["a", "b"]}]},
    {"a": [{"suffix": ["a"]}]},
    {"a": [{"equals-ignore-case": ["a"]}]},
    {"a": [{"wildcard": ["a*"]}]},
    {"a": [{"prefix": 1}]},
    {"a": [{"prefix": {"suffix": "x"}}]},
    # anything-but [ISS][ERC]
    {"a": [{"anything-but": {"prefix": ""}}]},
    {"a": [{"anything-but": {"suffix": ""}}]},
    {"a": [{"anything-but": {"prefix": {"equals-ignore-case": "x"}}}]},
    {"a": [{"anything-but": {"numeric": [">", 1]}}]},
    {"a": [{"anything-but": ["a", 1]}]},
    {"a": [{"anything-but": [True]}]},
    {"a": [{"anything-but": True}]},
    {"a": [{"anything-but": None}]},
    {"a": [{"anything-but": []}]},
    {"a": [{"anything-but": {"equals-ignore-case": 5}}]},
    {"a": [{"anything-but": {"wildcard": "a**"}}]},
    # numeric [ISS][ERC processNumericMatchExpression / Range / ComparableNumber]
    {"a": [{"numeric": [">", 0, ">", 0]}]},
    {"a": [{"numeric": ["<", 5, ">", 1]}]},
    {"a": [{"numeric": [">", 5, "<", 1]}]},
    {"a": [{"numeric": [">", 5, "<", 5]}]},
    {"a": [{"numeric": ["=", 5, "<", 6]}]},
    {"a": [{"numeric": [">>", 1]}]},
    {"a": [{"numeric": [">", "1"]}]},
    {"a": [{"numeric": [">", True]}]},
    {"a": [{"numeric": [">"]}]},
    {"a": [{"numeric": []}]},
    {"a": [{"numeric": ">"}]},
    {"a": [{"numeric": [">", 1e10]}]},
    {"a": [{"numeric": [">", float("inf")]}]},
    {"a": [{"numeric": [">", 0.0000001]}]},
    # exists, cidr, wildcard [ERC]
    {"a": [{"exists": "yes"}]},
    {"a": [{"exists": None}]},
    {"a": [{"cidr": "10.0.0.0"}]},  # [ISS] no mask
    {"a": [{"cidr": "10.0.0.0/33"}]},
    {"a": [{"cidr": "not-a-net/8"}]},
    {"a": [{"cidr": "10.0.0.0/x"}]},
    {"a": [{"cidr": 10}]},
    {"a": [{"wildcard": "a**b"}]},  # [ISS]
    {"a": [{"wildcard": "a\\b"}]},  # [ISS] bad escape
    {"a": [{"wildcard": "ab\\"}]},
    {"a": [{"equals-ignore-case": 1}]},
    {"a": [float("inf")]},  # [ISS] 1E309 parses as infinity
]


@pytest.mark.parametrize("pattern", INVALID)
def test_rejected_as_aws_rejects(pattern):
    with pytest.raises(PatternError):
        validate_pattern(pattern)


VALID_EDGES = [
    {"a": [{"prefix": ""}]},
    {"a": [{"numeric": [">=", -5e9, "<=", 5e9]}]},
    {"a": [{"numeric": ["=", 0.000001]}]},
    {"a": [{"anything-but": {"prefix": "x"}}]},
    {"a": [{"anything-but": {"wildcard": ["*a", "b*"]}}]},
    {"a": [{"cidr": "0.0.0.0/0"}]},
    {"a": [{"cidr": "2001:db8::/64"}]},
    {"a": [{"wildcard": "a\\*\\\\*"}]},
    {"a": [12345678901234]},  # an account number: too big for numeric, fine as an exact value
    {"$or": [{"a": ["x"]}, {"b": [{"exists": False}]}]},
]


@pytest.mark.parametrize("pattern", VALID_EDGES)
def test_accepted_as_aws_accepts(pattern):
    validate_pattern(pattern)


def test_errors_name_the_path():
    with pytest.raises(PatternError, match=r"detail\.stage\[0\]\.numeric"):
        validate_pattern({"detail": {"stage": [{"numeric": [">", "x"]}]}})
