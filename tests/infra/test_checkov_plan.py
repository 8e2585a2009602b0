"""The Terraform-plan view of the program that `make checkov` scans: types and attribute shapes
as the Terraform AWS provider names them (blocks are lists of one object, maps stay maps)."""

from __future__ import annotations

from tests.conftest import ROOT
from tests.infra.checkov_gate import _terraform_type, _values, justified, plan
from tests.infra.harness import RealArnMocks, run_program


def test_resource_tokens_become_terraform_types():
    assert _terraform_type("aws:lambda/functionUrl:FunctionUrl") == "aws_lambda_function_url"
    assert _terraform_type("aws:cloudwatch/eventBus:EventBus") == "aws_cloudwatch_event_bus"
    assert _terraform_type("aws:iam/rolePolicy:RolePolicy") == "aws_iam_role_policy"
    assert _terraform_type("aws:sfn/stateMachine:StateMachine") == "aws_sfn_state_machine"


def test_blocks_are_lists_and_maps_stay_maps():
    assert _values({"mode": "Active"}, "tracing_config") == [{"mode": "Active"}]
    assert _values({"stack": "dev"}, "tags") == {"stack": "dev"}
    assert _values({"variables": {"LOADSHED_TABLE": "t"}}, "environment") == [{"variables": {"LOADSHED_TABLE": "t"}}]


def test_the_program_as_a_plan_and_every_failing_check_justified():
    mocks = RealArnMocks()
    run_program(mocks=mocks)
    resources = {r["address"]: r for r in plan(mocks.resources)["planned_values"]["root_module"]["resources"]}
    table = resources["aws_dynamodb_table.state_table"]["values"]
    assert table["point_in_time_recovery"] == [{"enabled": True}]
    assert table["server_side_encryption"] == [{"enabled": True}]
    readme = (ROOT / "README.md").read_text()
    assert {"CKV_AWS_115", "CKV_AWS_258", "CKV_AWS_26"} <= justified(readme)
