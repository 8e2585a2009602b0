"""Run the Pulumi program (`__main__.py`) under Pulumi's mocks and record every resource."""

from __future__ import annotations

import runpy
from dataclasses import dataclass, field
from typing import Any

import pulumi

from tests.conftest import ROOT


@dataclass
class Recorded:
    type: str
    name: str
    inputs: dict[str, Any]


@dataclass
class RecordingMocks(pulumi.runtime.Mocks):
    resources: list[Recorded] = field(default_factory=list)
    namespace: dict[str, Any] = field(default_factory=dict)
    exports: dict[str, Any] = field(default_factory=dict)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(Recorded(args.typ, args.name, dict(args.inputs)))
        outputs = dict(args.inputs)
        outputs.setdefault("arn", f"arn:aws:mock:af-south-1:123456789012:{args.typ.split(':')[-1]}/{args.name}")
        outputs.setdefault("name", args.inputs.get("name", args.name))
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        results = {
            "aws:index/getCallerIdentity:getCallerIdentity": {
                "accountId": "123456789012",
                "arn": "arn:aws:iam::123456789012:user/test",
                "userId": "x",
            },
            "aws:index/getRegion:getRegion": {"name": "af-south-1", "region": "af-south-1", "id": "af-south-1"},
            "aws:index/getPartition:getPartition": {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"},
        }
        return results.get(args.token, {}), None

    def of_type(self, typ: str) -> list[Recorded]:
        return [r for r in self.resources if r.type == typ]


ACCOUNT, REGION = "123456789012", "af-south-1"
_ARN_FORMATS = {
    "aws:dynamodb/table:Table": "arn:aws:dynamodb:{r}:{a}:table/{n}",
    "aws:cloudwatch/eventBus:EventBus": "arn:aws:events:{r}:{a}:event-bus/{n}",
    "aws:ssm/parameter:Parameter": "arn:aws:ssm:{r}:{a}:parameter/{p}",
    "aws:lambda/function:Function": "arn:aws:lambda:{r}:{a}:function:{n}",
    "aws:sqs/queue:Queue": "arn:aws:sqs:{r}:{a}:{n}",
    "aws:cloudwatch/logGroup:LogGroup": "arn:aws:logs:{r}:{a}:log-group:{n}",
    "aws:sfn/stateMachine:StateMachine": "arn:aws:states:{r}:{a}:stateMachine:{n}",
}


class RealArnMocks(RecordingMocks):
    """The same mocks, with ARNs shaped as AWS shapes them (table/…, event-bus/…, parameter/…),
    so IAM documents built from them can be checked against calls recorded on moto."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        rid, outputs = super().new_resource(args)
        shape = _ARN_FORMATS.get(args.typ)
        if shape:
            name = str(outputs["name"])
            outputs["arn"] = shape.format(r=REGION, a=ACCOUNT, n=name, p=name.lstrip("/"))
        return rid, outputs


def run_program(config: dict[str, str] | None = None, mocks: RecordingMocks | None = None) -> RecordingMocks:
    """Execute the real program once under mocks; returns what it registered."""
    mocks = mocks if mocks is not None else RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="loadshed", stack="dev", preview=False)
    defaults = {
        "aws:region": "af-south-1",
        "loadshed:buildArtifacts": "false",
        "loadshed:telegramBotToken": "123456:TEST-TOKEN",
        "loadshed:webhookSecret": "test-webhook-secret",
        "loadshed:eskomsepushToken": "TEST-ESP-KEY",
    }
    pulumi.runtime.set_all_config(
        {**defaults, **(config or {})},
        ["loadshed:telegramBotToken", "loadshed:webhookSecret", "loadshed:eskomsepushToken"],
    )

    real_export = pulumi.export

    def record_export(name: str, value: Any) -> None:
        mocks.exports[name] = value
        real_export(name, value)

    @pulumi.runtime.test
    def _run() -> None:
        pulumi.export = record_export  # the program's stack outputs, as `pulumi stack output` would list them
        try:
            mocks.namespace.update(runpy.run_path(str(ROOT / "__main__.py"), run_name="loadshed_program"))
        finally:
            pulumi.export = real_export

    _run()
    return mocks
