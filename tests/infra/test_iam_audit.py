"""Issue 14: every AWS call each function's real code makes — cold start, every event it is
subscribed to, its schedules, the webhook, each workflow step — is allowed by the role policy
the Pulumi program builds for it (actions *and* resources), and the schedules' and state
machine's targets by theirs. Calls are recorded with botocore's `before-parameter-build` hook
(the API parameters) on moto; moto's own IAM checks only actions against "*"
(../shared/NOTES.md), so the policy is evaluated here (tests/infra/iam_eval.py). Removing one
statement makes the audit fail."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any
from uuid import uuid4

import boto3
import pytest
from moto import mock_aws

from benchmarks.loopback import LoopbackServer, Route
from schemas import FanOutPaused, RefreshRequested, ScheduleUpdated, StageChanged, SubscriptionChanged, to_eventbridge
from services import bootstrap
from services.adapters.dynamodb_store import DynamoDBStore, create_table
from services.ports import SubscriptionRecord
from services.runtime.bus import handler_for
from services.topology import TOPOLOGY
from tests.conftest import FIXTURES
from tests.infra.harness import REGION, RealArnMocks, run_program
from tests.infra.iam_eval import Need, needs, violations
from tests.support.fake_bot_api import FakeBotApi

AREA = "eskde-10-fourwaysext10cityofjohannesburggauteng"
NOW = datetime.now(timezone.utc)
_UPDATE_IDS = itertools.count(1000)
Program = RealArnMocks


@pytest.fixture(scope="module")
def program() -> Program:
    mocks = RealArnMocks()
    run_program(mocks=mocks)
    return mocks


def _functions(program: Program) -> dict[str, tuple[dict[str, str], dict[str, Any]]]:
    """service → (environment, role policy), as the program builds them."""
    policies = {p.name: json.loads(p.inputs["policy"]) for p in program.of_type("aws:iam/rolePolicy:RolePolicy")}
    found = {}
    for fn in program.of_type("aws:lambda/function:Function"):
        base = fn.name.removesuffix("-function")
        service = base.removeprefix("loadshed-dev-").replace("-", "_")
        found[service] = (dict(fn.inputs["environment"]["variables"]), policies[f"{base}-policy"])
    return found


@pytest.fixture
def aws(program: Program, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto with the program's table, bus and parameters; fakes for Telegram, Eskom and ESP."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    env, _ = next(iter(_functions(program).values()))
    area = (FIXTURES / "esp/v2/area.json").read_bytes()
    routes: dict[str, Route] = {
        "/LoadShedding/GetStatus": lambda q, b: (200, b"3", {}),
        "/business/2.0/area": lambda q, b: (200, area, {}),
        "/business/2.0/areas_search": lambda q, b: (200, (FIXTURES / "esp/v2/areas_search.json").read_bytes(), {}),
    }
    with mock_aws(), LoopbackServer(routes) as upstream, FakeBotApi(global_rate=1000) as api:
        seeding = boto3.session.Session(region_name=REGION)  # not the default session: not recorded
        ddb = seeding.client("dynamodb")
        create_table(ddb, env["LOADSHED_TABLE"])
        seeding.client("events").create_event_bus(Name=env["LOADSHED_BUS"])
        ssm = seeding.client("ssm")
        for name in ("telegram", "webhook", "eskomsepush"):
            ssm.put_parameter(
                Name=f"/loadshed-dev/{name}",
                Value=f"{api.token if name == 'telegram' else 's3cret'}",
                Type="SecureString",
            )
        store = DynamoDBStore(ddb, env["LOADSHED_TABLE"])
        for chat in (11, 12):
            store.add_subscription(SubscriptionRecord(chat, AREA, "Fourways"), [])
        urls = {
            "TELEGRAM_API_URL": api.url,
            "ESKOM_API_URL": f"{upstream.url}/LoadShedding",
            "ESKOMSEPUSH_API_URL": f"{upstream.url}/business/2.0",
        }
        yield {"urls": urls, "api": api}
    bootstrap.install(None)


def _record(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], urls: dict[str, str], run: Callable[[], Any]
) -> list[Need]:
    """Run `run` as the function with `env` would (a cold container), recording every AWS call."""
    for key, value in {**env, **urls}.items():
        monkeypatch.setenv(key, value)
    recorded: list[Need] = []

    def hook(model: Any, params: dict[str, Any], **_: Any) -> None:
        recorded.extend(needs(model.service_model.endpoint_prefix, model.name, params))

    boto3.setup_default_session(region_name=REGION)
    boto3.DEFAULT_SESSION.events.register("before-parameter-build.*.*", hook)
    bootstrap.install(None)  # cold start: the container is built inside the recorded run
    try:
        run()
    finally:
        boto3.DEFAULT_SESSION.events.unregister("before-parameter-build.*.*", hook)
        bootstrap.install(None)
    return recorded


def _delivery(event: Any) -> dict[str, Any]:
    return to_eventbridge(event)


def _webhook(update: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps({"update_id": next(_UPDATE_IDS), **update})
    headers = {"x-telegram-bot-api-secret-token": "s3cret"}
    return {"requestContext": {"http": {"method": "POST"}}, "headers": headers, "body": body}


def _message(chat: int, text: str) -> dict[str, Any]:
    return {
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "first_name": "A"},
            "text": text,
        }
    }


def _runs() -> dict[str, list[Callable[[], Any]]]:
    """Each function's code paths: what it is invoked with in the deployed graph."""
    stage = StageChanged(region="national", previous_stage=1, stage=2, changed_at=NOW, occurred_at=NOW)
    slots_changed = ScheduleUpdated(
        area_id=AREA, area_name="Fourways", region="national", stage=2, slots=[], content_hash="0" * 64, occurred_at=NOW
    )
    paused = FanOutPaused(
        kind="stage_changed",
        fact_key="stage:x",
        origin_source=stage.SOURCE,
        origin_detail_type=stage.DETAIL_TYPE,
        origin_detail=stage.model_dump_json(),
        sent_so_far=1,
        occurred_at=NOW,
    )
    added = SubscriptionChanged(chat_id=11, area_id=AREA, area_name="Fourways", action="added", occurred_at=NOW)
    request = RefreshRequested(request_id=uuid4(), scope="chat", chat_id=11, occurred_at=NOW)
    state = {"request": request.model_dump(mode="json"), "execution": "exec-1", "results": {}}
    failed_state = {**state, "error": {"Error": "UpstreamUnavailableError", "Cause": "x"}, "failed_step": "FetchStage"}
    refresh = handler_for("refresh")
    scheduled = {s.service: [lambda s=s: handler_for(s.service)(dict(s.input))] for s in TOPOLOGY.schedules}
    runs: dict[str, list[Callable[[], Any]]] = {
        "stage_watcher": [*scheduled.get("stage_watcher", [])],
        "schedule_fetcher": [
            *[
                lambda s=s: handler_for("schedule_fetcher")(dict(s.input))
                for s in TOPOLOGY.schedules
                if s.service == "schedule_fetcher"
            ],
            lambda: handler_for("schedule_fetcher")(_delivery(added)),
            lambda: handler_for("schedule_fetcher")(_delivery(stage)),
        ],
        "notifier": [
            lambda: handler_for("notifier")(_delivery(stage)),
            lambda: handler_for("notifier")(_delivery(slots_changed)),
            lambda: handler_for("notifier")(_delivery(paused)),
        ],
        "reminder": [*scheduled.get("reminder", [])],
        "bot": [
            lambda: handler_for("bot")(_webhook(_message(11, "/start"))),
            lambda: handler_for("bot")(_webhook(_message(12, "/search fourways"))),
            lambda: handler_for("bot")(_webhook(_message(13, f"/subscribe {AREA}"))),
            lambda: handler_for("bot")(_webhook(_message(11, "/refresh"))),
            lambda: handler_for("bot")(
                _webhook(
                    {
                        "message": {
                            **_message(-5, "/status@loadshed_test_bot")["message"],
                            "chat": {"id": -5, "type": "group"},
                        }
                    }
                )
            ),
        ],
        "refresh": [
            lambda: refresh({"action": "fetch_stage", "state": state}),
            lambda: refresh({"action": "fetch_schedule", "state": state}),
            lambda: refresh({"action": "notify", "state": state}),
            lambda: refresh({"action": "report_failure", "state": failed_state}),
        ],
    }
    return runs


@pytest.mark.parametrize("service", [s.name for s in TOPOLOGY.services])
def test_every_call_a_function_makes_is_allowed_by_its_role(program, aws, monkeypatch, service):
    env, policy = _functions(program)[service]
    recorded: list[Need] = []
    for run in _runs()[service]:
        recorded += _record(monkeypatch, env, aws["urls"], run)
    assert recorded, f"{service} made no AWS call: the audit would prove nothing"
    assert violations(policy, recorded) == []


def test_removing_one_statement_makes_the_audit_fail(program, aws, monkeypatch):
    env, policy = _functions(program)["bot"]
    recorded: list[Need] = []
    for run in _runs()["bot"]:
        recorded += _record(monkeypatch, env, aws["urls"], run)
    assert {n.action for n in recorded} >= {"ssm:GetParameter", "dynamodb:GetItem", "events:PutEvents"}
    for sid in ("Secrets", "State", "Publish"):
        mutated = {**policy, "Statement": [s for s in policy["Statement"] if s["Sid"] != sid]}
        assert violations(mutated, recorded), f"the audit did not notice the {sid} statement missing"
    narrowed = json.loads(json.dumps(policy))
    for st in narrowed["Statement"]:
        if st["Sid"] == "Secrets":
            st["Resource"] = [r for r in st["Resource"] if not r.endswith("/webhook")]
    assert any(n.resource.endswith("/webhook") for n in violations(narrowed, recorded))


def test_schedules_and_the_workflow_target_only_what_their_roles_allow(program):
    policies = {p.name: json.loads(p.inputs["policy"]) for p in program.of_type("aws:iam/rolePolicy:RolePolicy")}
    scheduler = policies["loadshed-dev-sched-policy"]
    for schedule in program.of_type("aws:scheduler/schedule:Schedule"):
        target = schedule.inputs["target"]
        assert not violations(scheduler, [Need("lambda:InvokeFunction", target["arn"], schedule.name)])
        assert not violations(scheduler, [Need("sqs:SendMessage", target["deadLetterConfig"]["arn"], schedule.name)])
    machine = program.of_type("aws:sfn/stateMachine:StateMachine")[0]
    role = policies["loadshed-dev-workflow-refresh-policy"]
    definition = json.loads(machine.inputs["definition"])
    tasks = [s for s in definition["States"].values() if s.get("Type") == "Task"]
    calls = [
        need
        for t in tasks
        for need in (
            [Need("lambda:InvokeFunction", t["Parameters"]["FunctionName"], t["Resource"])]
            if t["Resource"] == "arn:aws:states:::lambda:invoke"
            else needs("events", "PutEvents", t["Parameters"])  # the service integration's call
        )
    ]
    assert {c.action for c in calls} == {"lambda:InvokeFunction", "events:PutEvents"}
    assert violations(role, calls) == []
    without_outcomes = {**role, "Statement": [s for s in role["Statement"] if s["Sid"] != "Outcomes"]}
    assert violations(without_outcomes, calls)
