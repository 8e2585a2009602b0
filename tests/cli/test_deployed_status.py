"""`loadshed status` pointed at a deployed stack reads its DynamoDB table (moto) and shows what the
embedded status shows; a wrong table name is one line."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import boto3
from moto import mock_aws

from services.adapters.dynamodb_store import DynamoDBStore, create_table
from services.cli.main import main
from services.ports import Quota, StageRecord, SubscriptionRecord
from services.upstream_health import record_quota


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


def test_status_of_the_deployed_table(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "af-south-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("dynamodb")
        create_table(client, "loadshed-dev-state")
        store = DynamoDBStore(client, "loadshed-dev-state")
        now = datetime.now(timezone.utc)
        store.save_stage(StageRecord("national", 4, now - timedelta(hours=1)), None, [])
        for chat in (1, 2, 3):
            store.add_subscription(SubscriptionRecord(chat, "eskde-10-fourways", "Fourways"), [])
        record_quota(store, Quota(50, 12, now))
        code, out, _ = _run("status", "--table", "loadshed-dev-state")
        assert code == 0 and out.startswith("deployed table loadshed-dev-state")
        rows = {line[:18].strip(): line[18:].strip() for line in out.splitlines()[3:]}
        assert rows["stage (national)"].startswith("4 since") and rows["subscribers"] == "3"
        assert "12 of 50 used, 38 left" in out and "eskde-10-fourways" in out
        monkeypatch.setenv("LOADSHED_TABLE", "loadshed-dev-state")
        assert _run("status")[0] == 0  # the environment names the table as well
        code, out, err = _run("status", "--table", "nope")
        assert code == 1 and err == "error: no DynamoDB table named 'nope' in this account and region\n"
