"""`loadshed patterns test|check` and `loadshed schedules next`, through the real entry point."""

from __future__ import annotations

import io
import json

import pytest

from services.cli.main import main


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_pattern_test_prints_the_result_like_the_aws_cli(tmp_path):
    pattern = tmp_path / "p.json"
    pattern.write_text(json.dumps({"d": {"a": [100]}}))
    assert _run("patterns", "test", "--pattern", f"file://{pattern}", "--event", '{"d":[{"a":100}]}') == (
        0,
        '{"Result": true}\n',
        "",
    )
    assert _run("patterns", "test", "--pattern", '{"a":["x"]}', "--event", '{"a":"y"}')[:2] == (
        0,
        '{"Result": false}\n',
    )


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (("patterns", "test", "--pattern", '{"a":[{"numeric":[">",0,">",0]}]}', "--event", "{}"), "a[0].numeric"),
        (("patterns", "test", "--pattern", '{"a":[{"wildcard":"a**b"}]}', "--event", "{}"), "consecutive wildcard"),
        (("patterns", "check", '{"a":[1E309]}'), "finite"),
        (("patterns", "check", '{"a":['), "not valid JSON"),
        (("patterns", "check", "file:///nonexistent/p.json"), "cannot read"),
        (("patterns", "check", '{"a":' + "[" * 100_000), "nested too deeply"),
        (("patterns", "test", "--pattern", '{"a":[1]}', "--event", "[1]"), "must be a JSON object"),
        (("schedules", "next", "rate(1 week)"), "minute(s), hour(s) or day(s)"),
        (("schedules", "next", "cron(0 4 * * * *)"), "must be '?'"),
        (("schedules", "next", "cron(0 4 * * ? *)", "--tz", "Mars/Olympus"), "timezone"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, needle):
    code, out, err = _run(*argv)
    assert code == 2 and out == ""
    assert needle in err and err.count("\n") == 1


def test_check_accepts_a_valid_pattern():
    assert _run("patterns", "check", '{"source":[{"prefix":"loadshed."}]}') == (0, "pattern is valid\n", "")


def test_schedules_next_lists_fires_in_the_zone():
    code, out, _ = _run("schedules", "next", "cron(5/1 9 * * ? *)", "-n", "3", "--after", "2026-11-26T09:58:00+02:00")
    assert code == 0
    assert out.split() == ["2026-11-26T09:59:00+02:00", "2026-11-27T09:05:00+02:00", "2026-11-27T09:06:00+02:00"]
    code, out, _ = _run("schedules", "next", "at(2020-01-01T00:00:00)")
    assert code == 0 and "never fires" in out
