"""The Pulumi program: reads stack config and composes loadshed's components from `infra/`.

Every rule, target, schedule and the workflow come from `services/topology.py`.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pulumi
import pulumi_aws as aws

from infra.contract import registry_documents
from infra.functions import ServiceFunction, SharedWiring
from infra.packaging import ROOT, build_code_zip, build_layer, lock_hash
from infra.policies import secret_environment
from infra.registry import EventSchemaRegistry
from infra.routing import DeadLetters, EventBus, Schedules, Subscriptions
from infra.state import Secrets, StateTable
from infra.workflow import Alarms, RefreshWorkflow, Webhook
from services.topology import TOPOLOGY

config = pulumi.Config("loadshed")
stack = pulumi.get_stack()
prefix = f"loadshed-{stack}"
tags = {"project": "loadshed", "stack": stack}
log_days = config.get_int("logRetentionDays") or 14
schedule_overrides: dict[str, str] = dict(config.get_object("schedules") or {})
# No reserved concurrency unless asked: a new account's quota of 10 leaves nothing to reserve (README).
reserved: dict[str, int] = dict(config.get_object("reservedConcurrency") or {})
unknown = set(reserved) - {s.name for s in TOPOLOGY.services}
if unknown or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in reserved.values()):
    raise ValueError(f"loadshed:reservedConcurrency: service names → whole numbers ≥ 0 (unknown: {sorted(unknown)})")

# --- artifacts: code zips per function, one layer (rebuilt only when requirements-lambda.txt changes)
out = ROOT / (config.get("artifactsDir") or "build")
if config.get_bool("buildArtifacts") is not False:
    layer_zip = build_layer(out, "lambda")
    code_zips = {s.name: build_code_zip(s.name, out) for s in TOPOLOGY.services}
else:  # tests and previews that bring their own artifacts
    layer_zip = out / f"layer-lambda-{lock_hash('lambda')}.zip"
    code_zips = {s.name: out / f"code-{s.name}.zip" for s in TOPOLOGY.services}

# --- state, secrets, bus, contract
table = StateTable("state", tags=tags)
secret_values = {
    "telegram": config.require_secret("telegramBotToken"),
    "webhook": config.require_secret("webhookSecret"),
}
if config.get_secret("eskomsepushToken") is not None:
    secret_values["eskomsepush"] = config.require_secret("eskomsepushToken")
secrets = Secrets("secrets", values=secret_values, prefix=f"/{prefix}", tags=tags)
bus = EventBus("events", bus_name=prefix, archive_days=config.get_int("archiveRetentionDays") or 30, tags=tags)
registry = EventSchemaRegistry(
    "schemas", registry_name=config.get("registryName") or prefix, documents=registry_documents(), tags=tags
)
layer = aws.lambda_.LayerVersion(
    "deps",
    layer_name=f"{prefix}-deps",
    code=pulumi.FileArchive(str(layer_zip)),
    compatible_runtimes=["python3.12"],
    compatible_architectures=["arm64"],
    description=f"third-party dependencies ({Path(layer_zip).name})",
)

# --- one function per service
environment: dict[str, pulumi.Input[str]] = {
    "LOADSHED_TABLE": table.table.name,
    "LOADSHED_BUS": bus.bus.name,
    "LOADSHED_STAGE_SOURCE": config.get("stageSource") or "eskom",
    "LOADSHED_ADMIN_CHATS": ",".join(str(c) for c in (config.get_object("adminChats") or [])),
    "TELEGRAM_BOT_USERNAME": config.get("telegramBotUsername") or "",
    "LOADSHED_FANOUT_CHECKPOINT": str(config.get_int("fanoutCheckpointEvery") or 25),
    "LOADSHED_AREAS_OF_INTEREST": ",".join(str(a) for a in (config.get_object("areasOfInterest") or [])),
}
parameter_names = {k: p.name for k, p in secrets.parameters.items()}
parameter_arns = {k: p.arn for k, p in secrets.parameters.items()}
dead_letters = DeadLetters("dead-letters", tags=tags)
wiring = SharedWiring(
    layer_arn=layer.arn,
    table_arn=table.table.arn,
    bus_arn=bus.bus.arn,
    failures=dead_letters.async_failures,
    parameter_arns=parameter_arns,
    log_retention_days=log_days,
    tags=tags,
)
functions = {
    s.name: ServiceFunction(
        f"{prefix}-{s.name.replace('_', '-')}",
        service=dataclasses.replace(s, reserved_concurrency=reserved.get(s.name)),
        code=pulumi.FileArchive(str(code_zips[s.name])),
        # each function is handed only the secrets its role may read (infra.policies.SECRETS_READ)
        environment={**environment, **secret_environment(s.name, parameter_names)},
        shared=wiring,
    )
    for s in TOPOLOGY.services
}

# --- routing, schedules, workflow, webhook, alarms — all from the topology
subscriptions = Subscriptions(
    f"{prefix}-sub",
    subscriptions=TOPOLOGY.subscriptions,
    bus=bus.bus,
    functions=functions,
    dead_letters=dead_letters.deliveries,
    tags=tags,
)
schedules = Schedules(
    f"{prefix}-sched",
    functions=functions,
    dead_letters=dead_letters.deliveries,
    tags=tags,
    schedules=tuple(
        dataclasses.replace(s, expression=schedule_overrides.get(s.name, s.expression)) for s in TOPOLOGY.schedules
    ),
)
workflow = RefreshWorkflow(
    f"{prefix}-workflow-refresh",
    workflow=TOPOLOGY.workflows[0],
    functions=functions,
    bus=bus.bus,
    dead_letters=dead_letters.deliveries,
    log_retention_days=log_days,
    tags=tags,
)
bot = next(s.name for s in TOPOLOGY.services if s.webhook)
webhook = Webhook("webhook", function=functions[bot])
dead_letters.allow_rules([r.arn for r in subscriptions.rules.values()] + [workflow.rule.arn])
queues = {"deliveries": dead_letters.deliveries, "async-failures": dead_letters.async_failures}
alarms = Alarms(
    "alarms",
    queues=queues,
    functions=functions,
    state_machine=workflow.state_machine,
    email=config.get("alarmEmail"),
    tags=tags,
)

pulumi.export("bus_name", bus.bus.name)
pulumi.export("webhook_url", webhook.url.function_url)
pulumi.export("state_machine_arn", workflow.state_machine.arn)
pulumi.export("registry_name", registry.registry_name)
pulumi.export("table_name", table.table.name)
pulumi.export("alarm_topic_arn", alarms.topic.arn)
pulumi.export("webhook_secret_parameter", secrets.parameters["webhook"].name)
pulumi.export("functions", {k: f.function.name for k, f in functions.items()})
pulumi.export("dead_letter_queues", {k: q.name for k, q in queues.items()})
pulumi.export("schedules_json", json.dumps({s.name: s.expression for s in TOPOLOGY.schedules}))
