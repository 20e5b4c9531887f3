"""The stack step (deploy/stack.py) against moto's CloudFormation (create, nothing to change, update), on a
small template: moto cannot create infra/template.yaml itself (no AWS::SQS::QueuePolicy). What moto cannot
produce, a stubbed client answers.
"""

from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.stub import Stubber

from deploy.stack import DeployError, StackDeployer, stack_parameters
from tests.deploy_fakes import REGION

SMALL_TEMPLATE = json.dumps(
    {
        "Parameters": {"Stage": {"Type": "String"}, "RetentionDays": {"Type": "Number", "Default": "0"}},
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": "q-${Stage}"}}}},
        "Outputs": {
            "QueueName": {"Value": {"Fn::GetAtt": ["Queue", "QueueName"]}},
            "RetentionDays": {"Value": {"Ref": "RetentionDays"}},
        },
    }
)


def test_stack_parameters_keep_previous_values_on_update() -> None:
    declared = ["Stage", "RetentionDays", "KmsKeyArn"]
    assert stack_parameters(declared, {"Stage": "prod"}, exists=False) == [
        {"ParameterKey": "Stage", "ParameterValue": "prod"}
    ]
    assert stack_parameters(declared, {"Stage": "prod", "RetentionDays": "30"}, exists=True) == [
        {"ParameterKey": "Stage", "ParameterValue": "prod"},
        {"ParameterKey": "RetentionDays", "ParameterValue": "30"},
        {"ParameterKey": "KmsKeyArn", "UsePreviousValue": True},
    ]
    with pytest.raises(DeployError, match="Typo"):
        stack_parameters(declared, {"Typo": "1"}, exists=False)


def test_the_stack_is_created_then_left_alone_then_updated_on_moto(aws_endpoint: str) -> None:
    out = io.StringIO()
    stacks = StackDeployer(boto3.client("cloudformation"), out, poll_seconds=1)
    declared = ["Stage", "RetentionDays"]

    created = stacks.deploy("letterbox-cfn", SMALL_TEMPLATE, declared, {"Stage": "cfn"})
    again = stacks.deploy("letterbox-cfn", SMALL_TEMPLATE, declared, {"Stage": "cfn"})
    updated = stacks.deploy("letterbox-cfn", SMALL_TEMPLATE, declared, {"RetentionDays": "7"})

    # (moto's change sets leave a stack without outputs; the parameters show what happened)
    assert created.status == "CREATE_COMPLETE"
    assert created.parameters == {"Stage": "cfn", "RetentionDays": "0"}
    assert again == created
    assert "stack letterbox-cfn is up to date" in out.getvalue()
    assert updated.status == "UPDATE_COMPLETE"
    assert updated.parameters == {"Stage": "cfn", "RetentionDays": "7"}  # Stage kept its previous value
    stacks.delete("letterbox-cfn")
    assert stacks.describe("letterbox-cfn") is None


def test_a_stack_whose_creation_failed_is_deleted_and_created_again() -> None:
    # ROLLBACK_COMPLETE cannot be produced on moto: a stubbed CloudFormation client answers instead.
    client = boto3.client("cloudformation", region_name=REGION, endpoint_url="https://cloudformation.invalid")
    rolled_back = {"StackName": "letterbox-x", "StackStatus": "ROLLBACK_COMPLETE", "CreationTime": "2026-01-01"}
    created = {**rolled_back, "StackStatus": "CREATE_COMPLETE", "Outputs": [{"OutputKey": "A", "OutputValue": "b"}]}
    with Stubber(client) as stub:
        stub.add_response("describe_stacks", {"Stacks": [rolled_back]})
        stub.add_response("delete_stack", {})
        stub.add_client_error("describe_stacks", "ValidationError", "Stack with id letterbox-x does not exist")
        stub.add_response("create_change_set", {"Id": "arn:cs", "StackId": "arn:stack"})
        stub.add_response("describe_change_set", {"Status": "CREATE_COMPLETE", "ExecutionStatus": "AVAILABLE"})
        stub.add_response("execute_change_set", {})
        stub.add_response("describe_stacks", {"Stacks": [created]})
        stub.add_response("describe_stacks", {"Stacks": [created]})
        out = io.StringIO()

        stack = StackDeployer(client, out, poll_seconds=1).deploy("letterbox-x", "{}", [], {})

        stub.assert_no_pending_responses()
    assert stack.outputs == {"A": "b"}
    assert "ROLLBACK_COMPLETE" in out.getvalue()


def test_a_refused_change_set_says_why() -> None:
    client = boto3.client("cloudformation", region_name=REGION, endpoint_url="https://cloudformation.invalid")
    with Stubber(client) as stub:
        stub.add_client_error("describe_stacks", "ValidationError", "Stack with id letterbox-x does not exist")
        stub.add_response("create_change_set", {"Id": "arn:cs", "StackId": "arn:stack"})
        failed = {"Status": "FAILED", "StatusReason": "Template format error: bad", "ExecutionStatus": "UNAVAILABLE"}
        stub.add_response("describe_change_set", failed)
        stub.add_response("describe_change_set", failed)

        with pytest.raises(DeployError, match="Template format error: bad"):
            StackDeployer(client, io.StringIO(), poll_seconds=1).deploy("letterbox-x", "{}", [], {})
