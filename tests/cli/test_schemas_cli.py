"""`loadshed schemas …` and `loadshed topology` as a developer uses them."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import boto3
import pytest
from botocore.stub import Stubber
from jsonschema import Draft4Validator

from schemas import ALL_EVENTS, StageChanged
from schemas.draft4 import event_schema, registry_schema_name
from services.adapters.schema_registry import SchemaRegistryReader
from services.cli.main import main
from tests.conftest import ROOT


def run(*argv, factory=None):
    out, err = io.StringIO(), io.StringIO()
    kwargs = {"reader_factory": factory} if factory else {}
    code = main(list(argv), out=out, err=err, **kwargs)
    return code, out.getvalue(), err.getvalue()


def test_list_shows_every_event_with_producers_and_consumers():
    code, out, _ = run("schemas", "list")
    assert code == 0
    for cls in ALL_EVENTS:
        assert cls.__name__ in out
    line = next(x for x in out.splitlines() if x.startswith("StageChanged"))
    assert "stage_watcher" in line and "schedule_fetcher" in line and "notifier" in line
    refresh = next(x for x in out.splitlines() if x.startswith("RefreshRequested"))
    assert "bot" in refresh and "workflow:refresh" in refresh


def test_show_prints_schema_and_example():
    code, out, _ = run("schemas", "show", "StageChanged")
    assert code == 0
    schema_text, example_text = out.split("# Example event (as EventBridge delivers it)")
    schema = json.loads(schema_text.split("\n", 1)[1])
    Draft4Validator.check_schema(schema)
    Draft4Validator(schema).validate(json.loads(example_text))
    code, out, _ = run("schemas", "show", "StageChanged", "--version", "1")
    assert code == 0 and "v1 (published snapshot)" in out


def test_user_mistakes_are_one_line_and_exit_2():
    code, out, err = run("schemas", "show", "NoSuchEvent")
    assert code == 2 and out == ""
    assert err.startswith("error: NoSuchEvent: unknown event") and err.count("\n") == 1
    code, _, err = run("schemas", "show", "StageChanged", "--version", "99")
    assert code == 2 and "no published version 99" in err


def test_argparse_usage_errors_exit_2():
    with pytest.raises(SystemExit) as info:
        main(["schemas", "frobnicate"])
    assert info.value.code == 2


def test_check_and_diff_pass_on_the_committed_tree():
    assert run("schemas", "check")[0] == 0
    code, out, _ = run("schemas", "diff")
    assert code == 0 and out.count("no changes") == len(ALL_EVENTS)


def test_export_writes_valid_draft4(tmp_path):
    code, _out, _ = run("schemas", "export", str(tmp_path / "out"))
    assert code == 0
    files = sorted((tmp_path / "out").glob("*.json"))
    assert len(files) == len(ALL_EVENTS)
    for path in files:
        Draft4Validator.check_schema(json.loads(path.read_text()))


def test_topology_table_and_mermaid():
    code, out, _ = run("topology")
    assert code == 0 and "fetch-on-stage-change" in out and "Africa/Johannesburg" in out
    code, out, _ = run("topology", "--mermaid")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0] == "flowchart LR"
    node = r"[A-Za-z][A-Za-z0-9_]*"
    grammar = re.compile(
        rf'^\s*(direction LR|end|subgraph {node}\["[^"]+"\]|{node}\["[^"]+"\]|{node}\(\["[^"]+"\]\)'
        rf"|{node} --> {node}|{node} -- [A-Za-z]+ --> {node})$"
    )
    for line in lines[1:]:
        assert grammar.match(line), line
    assert lines.count("  end") == sum(1 for x in lines if x.strip().startswith("subgraph"))
    code, out, _ = run("topology", "--json")
    assert json.loads(out)["subscriptions"]["fetch-on-stage-change"]["service"] == "schedule_fetcher"


def test_console_script_runs_without_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "--help"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "schemas" in result.stdout


# --- the live registry path, through botocore's Stubber (moto has no Schemas service) ---------


def _stubbed_reader(setup):
    client = boto3.client("schemas", region_name="af-south-1")
    stub = Stubber(client)
    setup(stub)
    stub.activate()
    reader = SchemaRegistryReader(client, "loadshed-dev")
    return reader, stub


def test_list_against_a_deployed_registry():
    live_name = registry_schema_name(StageChanged)
    changed = event_schema(StageChanged)
    changed["definitions"]["StageChanged"]["required"].append("observed_from")  # a live schema that differs

    def setup(stub):
        names = [{"SchemaName": live_name}, {"SchemaName": "someone.else@Thing"}]
        stub.add_response("list_schemas", {"Schemas": names}, {"RegistryName": "loadshed-dev"})
        stub.add_response(
            "describe_schema",
            {"Content": json.dumps(changed), "SchemaName": live_name, "SchemaVersion": "3", "Type": "JSONSchemaDraft4"},
            {"RegistryName": "loadshed-dev", "SchemaName": live_name},
        )

    reader, stub = _stubbed_reader(setup)
    code, out, err = run("schemas", "list", "--registry", "loadshed-dev", factory=lambda r, g: reader)
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("StageChanged"))
    assert "3" in line and "differs" in line
    assert "not deployed" in next(x for x in out.splitlines() if x.startswith("ScheduleUpdated"))
    assert "only in registry loadshed-dev: someone.else@Thing" in out
    stub.assert_no_pending_responses()


def test_show_and_diff_against_a_deployed_registry():
    live_name = registry_schema_name(StageChanged)
    content = json.dumps(event_schema(StageChanged))

    def setup(stub):
        stub.add_response(
            "describe_schema",
            {"Content": content, "SchemaName": live_name, "SchemaVersion": "1", "Type": "JSONSchemaDraft4"},
            {"RegistryName": "loadshed-dev", "SchemaName": live_name, "SchemaVersion": "1"},
        )
        stub.add_response("list_schemas", {"Schemas": [{"SchemaName": live_name}]}, {"RegistryName": "loadshed-dev"})
        stub.add_response(
            "describe_schema",
            {"Content": content, "SchemaName": live_name, "SchemaVersion": "1", "Type": "JSONSchemaDraft4"},
            {"RegistryName": "loadshed-dev", "SchemaName": live_name},
        )

    reader, stub = _stubbed_reader(setup)
    code, out, _ = run(
        "schemas", "show", "StageChanged", "--registry", "loadshed-dev", "--version", "1", factory=lambda r, g: reader
    )
    assert code == 0 and "in registry loadshed-dev, version 1 (JSONSchemaDraft4)" in out
    code, out, _ = run("schemas", "diff", "StageChanged", "--registry", "loadshed-dev", factory=lambda r, g: reader)
    assert code == 0 and "registry version 1 → current model" in out and "no changes" in out
    stub.assert_no_pending_responses()


def test_missing_registry_is_one_line_exit_1():
    def setup(stub):
        stub.add_client_error(
            "list_schemas",
            service_error_code="NotFoundException",
            service_message="Registry not found",
            http_status_code=404,
        )

    reader, _ = _stubbed_reader(setup)
    code, _, err = run("schemas", "list", "--registry", "loadshed-dev", factory=lambda r, g: reader)
    assert code == 1
    assert err == "error: registry 'loadshed-dev': NotFoundException: Registry not found\n"
