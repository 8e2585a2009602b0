"""`loadshed catalog build` bad input: one line, exit 2 for the directory, exit 1 for the registry."""

from __future__ import annotations

import io

import boto3
import pytest
from botocore.stub import Stubber

from services.adapters.schema_registry import SchemaRegistryReader, make_reader
from services.cli.main import main


def _run(argv, **kwargs):
    out, err = io.StringIO(), io.StringIO()
    return main(argv, out=out, err=err, **kwargs), out.getvalue(), err.getvalue()


def test_a_dir_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    code, out, err = _run(["catalog", "build", str(target)])
    assert code == 2 and out == "" and err.count("\n") == 1 and "not a directory" in err


def test_an_unwritable_dir_is_refused(tmp_path):
    code, _, err = _run(["catalog", "build", "/proc/loadshed-catalog"])
    assert code == 2 and err.count("\n") == 1 and "cannot write" in err


def test_unknown_registry_is_one_line_exit_1(tmp_path):
    client = boto3.client("schemas", region_name="af-south-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    stub.add_client_error("list_schemas", "NotFoundException", "Registry nope not found", 404)
    stub.activate()
    code, _, err = _run(
        ["catalog", "build", str(tmp_path / "c"), "--registry", "nope"],
        reader_factory=lambda name, region: SchemaRegistryReader(client, name),
    )
    assert code == 1 and err.count("\n") == 1 and "NotFoundException" in err


def test_no_credentials_is_one_line_exit_1(tmp_path, monkeypatch):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask the instance metadata service
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    code, _, err = _run(
        ["catalog", "build", str(tmp_path / "c"), "--registry", "r", "--region", "af-south-1"],
        reader_factory=make_reader,
    )
    assert code == 1 and err.count("\n") == 1 and "credentials" in err.lower()


def test_registry_drift_is_marked(tmp_path):
    client = boto3.client("schemas", region_name="af-south-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    stub.add_response("list_schemas", {"Schemas": [{"SchemaName": "loadshed.stage@StageChanged"}]})
    stub.add_response(
        "describe_schema", {"Content": '{"type": "object"}', "SchemaVersion": "3", "Type": "JSONSchemaDraft4"}
    )
    stub.add_response("list_schema_versions", {"SchemaVersions": [{"SchemaVersion": "1"}, {"SchemaVersion": "3"}]})
    stub.activate()
    code, _, err = _run(
        ["catalog", "build", str(tmp_path / "c"), "--registry", "live"],
        reader_factory=lambda name, region: SchemaRegistryReader(client, name),
    )
    assert code == 0, err
    page = (tmp_path / "c" / "events" / "StageChanged.html").read_text()
    assert "local contract differs" in page and "1, 3" in page
    assert "not deployed" in (tmp_path / "c" / "events" / "ScheduleUpdated.html").read_text()


@pytest.mark.parametrize("argv", [["catalog", "build", "x", "--region", "af-south-1"]])
def test_region_without_registry(argv):
    code, _, err = _run(argv)
    assert code == 2 and "--registry" in err
