"""`make deploy` and `make destroy`, checked without an AWS account.

- the pure parts: the stage's configuration and the policies rendered from a stack's outputs;
- the policy check: no wildcard action, no wildcard resource where a narrower one exists,
  in the rendered policies and in infra/template.yaml;
- the policies are enough: every AWS call the API and the notify handler make (recorded while
  they run against the local AWS) is allowed by the rendered policy of that function;
- the stack step against moto's CloudFormation (create, nothing to change, update), on a small
  template: moto cannot create infra/template.yaml itself (no AWS::SQS::QueuePolicy), so the
  whole deploy and destroy run against moto with the stack applied by devstack's loader;
- the hCaptcha secret from SSM (chalicelib/core/ssm_secrets.py) against moto's SSM.
"""

from __future__ import annotations

import fnmatch
import io
import json
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import boto3
import botocore.session
import pytest
from botocore.stub import Stubber
from chalice.test import Client

from app import app, notify
from chalicelib import runtime
from chalicelib.core import aws
from chalicelib.core.settings import ConfigError
from chalicelib.core.ssm_secrets import with_secrets
from chalicelib.notify.batch import BatchPartiallyFailed
from deploy import chalice_cli, policies, stage_config
from deploy.cli import main
from deploy.deployment import BUCKET_NAME, SECRET_PARAMETER, Deployment, Options
from deploy.stack import DeployError, Stack, StackDeployer, stack_parameters
from deploy.stage_config import StageConfigError, StageSettings
from deploy.teardown import Teardown
from devstack.infra import apply_template
from infra.template import load_template
from tests.conftest import CAMPAIGN_ORIGIN, TEMPLATE, TEST_SECRET, TEST_TOKEN

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT, REGION = "123456789012", "us-east-1"
SENDER = "letterbox@campaign.example"
SITEKEY = "a1b2c3d4-0000-4000-8000-000000000000"
SECRET = "0xb0a5f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8"
OUTPUTS = {
    "BucketName": f"letterbox-prod-{ACCOUNT}-{REGION}",
    "NotifyQueueName": "letterbox-prod-notify",
    "NotifyQueueArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:letterbox-prod-notify",
    "NotifyQueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/letterbox-prod-notify",
    "DeadLetterQueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/letterbox-prod-notify-dlq",
    "AlarmTopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:letterbox-prod-alarms",
}
SETTINGS = StageSettings(
    sender=SENDER,
    organizers=("first@campaign.example", "second@campaign.example"),
    origins=("https://campaign.example", "https://www.campaign.example"),
    sitekey=SITEKEY,
    secret_parameter="/letterbox/prod/hcaptcha-secret",
)
KMS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0a1b2c3d-0000-4000-8000-000000000000"


def committed_config() -> dict[str, Any]:
    return stage_config.load(ROOT / ".chalice" / "config.json")


def context(**changes: str) -> policies.PolicyContext:
    parameters = {"KmsKeyArn": changes.pop("kms_key_arn", "")}
    secret = changes.pop("secret_parameter", SETTINGS.secret_parameter)
    return policies.PolicyContext.from_stack(
        changes.pop("stage", "prod"), {**OUTPUTS, **changes}, parameters, SENDER, secret
    )


def statements(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in document["Statement"]}


# --- the stage's configuration ---------------------------------------------------------------------


def test_render_sets_the_stage_from_the_stack_and_leaves_dev_alone() -> None:
    config = committed_config()

    rendered = stage_config.render(config, "prod", OUTPUTS, SETTINGS)

    assert rendered["stages"]["dev"] == config["stages"]["dev"]
    prod = rendered["stages"]["prod"]
    assert prod["autogen_policy"] is False
    assert prod["environment_variables"] == {
        "LETTERBOX_STAGE": "prod",
        "LETTERBOX_BUCKET": OUTPUTS["BucketName"],
        "LETTERBOX_SENDER": SENDER,
        "LETTERBOX_ORGANIZERS": "first@campaign.example,second@campaign.example",
        "LETTERBOX_ORIGINS": "https://campaign.example https://www.campaign.example",
    }
    api, notify_function = prod["lambda_functions"]["api_handler"], prod["lambda_functions"]["notify"]
    assert api["iam_policy_file"] == "policy-prod-api.json"
    assert notify_function["iam_policy_file"] == "policy-prod-notify.json"
    assert api["environment_variables"] == {
        "HCAPTCHA_SITEKEY": SITEKEY,
        "HCAPTCHA_SECRET_PARAMETER": "/letterbox/prod/hcaptcha-secret",
    }
    assert notify_function["environment_variables"] == {"LETTERBOX_CAPTCHA": "off"}


def test_render_is_deterministic_and_running_it_again_changes_nothing() -> None:
    once = stage_config.render(committed_config(), "prod", OUTPUTS, SETTINGS)
    twice = stage_config.render(once, "prod", OUTPUTS, SETTINGS)
    assert stage_config.dumps(once) == stage_config.dumps(twice)


def test_a_new_stage_starts_from_the_prod_settings() -> None:
    rendered = stage_config.render(committed_config(), "staging", OUTPUTS, SETTINGS)

    staging = rendered["stages"]["staging"]
    assert staging["environment_variables"]["LETTERBOX_STAGE"] == "staging"
    assert staging["lambda_functions"]["api_handler"]["iam_policy_file"] == "policy-staging-api.json"
    assert staging["lambda_functions"]["api_handler"]["lambda_memory_size"] == 512
    assert rendered["stages"]["prod"] == committed_config()["stages"]["prod"]


def test_the_local_stage_is_never_deployed() -> None:
    with pytest.raises(StageConfigError, match="local stack"):
        stage_config.render(committed_config(), "dev", OUTPUTS, SETTINGS)


def test_a_secret_by_value_is_refused_outside_the_local_stage() -> None:
    config = committed_config()
    config["stages"]["prod"]["environment_variables"]["HCAPTCHA_SECRET"] = SECRET

    with pytest.raises(StageConfigError, match="HCAPTCHA_SECRET_PARAMETER"):
        stage_config.render(config, "prod", OUTPUTS, SETTINGS)
    stage_config.check_no_secrets(committed_config())  # dev's public test secret is fine


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sender": ""}, "LETTERBOX_SENDER"),
        ({"organizers": ()}, "LETTERBOX_ORGANIZERS"),
        ({"sitekey": ""}, "HCAPTCHA_SITEKEY"),
        ({"secret_parameter": ""}, "HCAPTCHA_SECRET"),
    ],
)
def test_missing_settings_are_named(change: dict[str, Any], message: str) -> None:
    settings = StageSettings(**{**SETTINGS.__dict__, **change})
    with pytest.raises(StageConfigError, match=message):
        stage_config.render(committed_config(), "prod", OUTPUTS, settings)


def test_memory_and_timeouts_fit_the_limits_around_them() -> None:
    config = committed_config()
    api_timeout = stage_config.function_setting(config, "prod", "api_handler", "lambda_timeout")
    notify_timeout = stage_config.function_setting(config, "prod", "notify", "lambda_timeout")
    # API Gateway (REST) gives up after 29 s: the function must answer (503) before that.
    assert api_timeout < 29
    # The queue's visibility timeout is looked up from the notify timeout in the template.
    allowed = load_template(TEMPLATE)["Parameters"]["NotifyFunctionTimeout"]["AllowedValues"]
    assert notify_timeout in allowed
    # A claim younger than CLAIM_LEASE (5 minutes) is taken to be still sending.
    assert notify_timeout < 300
    for function in ("api_handler", "notify"):
        memory = stage_config.function_setting(config, "prod", function, "lambda_memory_size")
        assert 128 <= memory <= 10240


def test_the_bucket_name_the_script_expects_is_the_templates() -> None:
    bucket = load_template(TEMPLATE)["Resources"]["SubmissionsBucket"]
    assert bucket["Properties"]["BucketName"] == {"Fn::Sub": "letterbox-${Stage}-${AWS::AccountId}-${AWS::Region}"}
    assert BUCKET_NAME.format(stage="prod", account=ACCOUNT, region=REGION) == OUTPUTS["BucketName"]
    # Deleting the stack keeps the bucket (and its TLS-only policy) with every submission.
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"
    bucket_policy = load_template(TEMPLATE)["Resources"]["SubmissionsBucketPolicy"]
    assert bucket_policy["DeletionPolicy"] == "Retain"


def test_the_log_groups_are_the_functions_and_keep_logs_for_the_retention_given() -> None:
    resources = load_template(TEMPLATE)["Resources"]
    names = {resources[r]["Properties"]["LogGroupName"]["Fn::Sub"] for r in ("ApiLogGroup", "NotifyLogGroup")}
    expected = {f"/aws/lambda/{name}" for name in policies.function_names("${Stage}").values()}
    assert names == expected
    assert resources["ApiLogGroup"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


# --- the policies ----------------------------------------------------------------------------------


def test_the_api_policy_grants_its_prefixes_and_nothing_else() -> None:
    found = statements(policies.api_policy(context()))
    bucket = f"arn:aws:s3:::{OUTPUTS['BucketName']}"

    assert found["StoreSubmissions"]["Action"] == ["s3:PutObject"]
    assert found["StoreSubmissions"]["Resource"] == [f"{bucket}/submissions/*"]
    listing = found["ListSubmissionsAndUploadsOnly"]
    assert listing["Action"] == ["s3:ListBucket"]
    assert listing["Resource"] == [bucket]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["submissions/*", "uploads/*"]}}
    assert found["ReceiveUploads"]["Resource"] == [f"{bucket}/uploads/*"]
    assert found["KeepAttachments"]["Resource"] == [f"{bucket}/attachments/*"]
    assert found["ReadCaptchaSecret"] == {
        "Sid": "ReadCaptchaSecret",
        "Effect": "Allow",
        "Action": ["ssm:GetParameter"],
        "Resource": [f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/letterbox/prod/hcaptcha-secret"],
    }
    assert found["WriteOwnLogs"]["Resource"] == [
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/letterbox-prod:*"
    ]
    granted = {action for s in found.values() for action in s["Action"]}
    assert not {a for a in granted if a.startswith(("ses:", "sqs:"))}  # the API sends no mail, reads no queue
    assert "UseBucketKeyThroughS3" not in found


def test_the_notify_policy_grants_its_prefixes_its_sender_and_its_queue() -> None:
    found = statements(policies.notify_policy(context()))
    bucket = f"arn:aws:s3:::{OUTPUTS['BucketName']}"

    assert found["ReadSubmissions"]["Action"] == ["s3:GetObject"]
    assert found["ReadSubmissions"]["Resource"] == [f"{bucket}/submissions/*"]
    assert set(found["ClaimAndMarkNotifications"]["Action"]) == {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}
    assert found["ClaimAndMarkNotifications"]["Resource"] == [f"{bucket}/notified/*"]
    assert set(found["SendAsTheSender"]["Action"]) == {"ses:SendEmail", "ses:SendRawEmail"}
    assert found["SendAsTheSender"]["Resource"] == [f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{SENDER}"]
    assert set(found["ConsumeTheNotifyQueue"]["Action"]) == {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueUrl",
    }
    assert found["ConsumeTheNotifyQueue"]["Resource"] == [OUTPUTS["NotifyQueueArn"]]
    granted = {action for s in found.values() for action in s["Action"]}
    assert "ssm:GetParameter" not in granted  # the notify function needs no hCaptcha secret
    assert found["ListSubmissionsOnly"]["Condition"] == {"StringLike": {"s3:prefix": ["submissions/*"]}}


def test_with_sse_kms_both_functions_may_use_the_key_through_s3_only() -> None:
    for document in policies.render_policies(context(kms_key_arn=KMS_KEY)).values():
        kms = statements(document)["UseBucketKeyThroughS3"]
        assert kms["Resource"] == [KMS_KEY]
        assert set(kms["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey"}
        assert kms["Condition"] == {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}


@pytest.mark.parametrize(
    "changes",
    [{}, {"kms_key_arn": KMS_KEY}, {"secret_parameter": ""}, {"secret_parameter": "letterbox-no-slash"}],
)
def test_every_rendered_policy_passes_the_wildcard_check(changes: dict[str, str]) -> None:
    rendered = policies.render_policies(context(**changes))  # raises PolicyError on a wildcard
    assert set(rendered) == {"policy-prod-api.json", "policy-prod-notify.json"}
    for name, document in rendered.items():
        assert policies.policy_problems(document, name) == []


def test_the_infra_templates_policies_pass_the_wildcard_check() -> None:
    template = load_template(TEMPLATE)
    found = dict(policies.template_policies(template))
    assert set(found) == {"SubmissionsBucketPolicy", "NotifyQueuePolicy"}
    assert policies.check_template(template, "infra/template.yaml") == []


def allow(action: Any, resource: Any, **more: Any) -> dict[str, Any]:
    return {"Sid": "Probe", "Effect": "Allow", "Action": action, "Resource": resource, **more}


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        (allow("*", "arn:aws:s3:::b/x"), "wildcard action '*'"),
        (allow("s3:*", "arn:aws:s3:::b/x"), "wildcard action 's3:*'"),
        (allow("s3:Get*", "arn:aws:s3:::b/x"), "wildcard action 's3:Get*'"),
        (allow("s3:GetObject", "*"), "wildcard resource '*'"),
        (allow(["s3:GetObject"], ["arn:aws:s3:::b/x", "arn:aws:s3:::*"]), "wildcard resource 'arn:aws:s3:::*'"),
        (allow("logs:PutLogEvents", "arn:aws:logs:*:*:*"), "wildcard resource 'arn:aws:logs:*:*:*'"),
        (allow("sqs:SendMessage", "arn:aws:sqs:us-east-1:*:q"), "wildcard resource"),
        (allow("sqs:ChangeMessageVisibilty", "arn:aws:sqs:us-east-1:1:q"), "unknown action"),
        ({"Sid": "Probe", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "uses NotAction"),
        ({"Sid": "Probe", "Effect": "Allow", "Action": "s3:GetObject", "NotResource": "x"}, "uses NotResource"),
    ],
)
def test_the_check_names_the_offending_statement(statement: dict[str, Any], problem: str) -> None:
    document = {"Version": "2012-10-17", "Statement": [statement]}

    [found] = policies.policy_problems(document, "probe.json")

    assert problem in found
    assert found.startswith("probe.json statement Probe:")
    assert json.dumps(statement, sort_keys=True) in found  # the statement itself, to find it
    with pytest.raises(policies.PolicyError, match=r"probe\.json statement Probe"):
        policies.check_policy(document, "probe.json")


@pytest.mark.parametrize(
    "statement",
    [
        allow("xray:PutTraceSegments", "*"),  # an action no resource can narrow: "*" is the only choice
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"},  # a Deny only takes away
        allow("s3:GetObject", {"Fn::Sub": "arn:${AWS::Partition}:s3:::letterbox-${Stage}/submissions/*"}),
        allow("sqs:SendMessage", {"Fn::GetAtt": ["NotifyQueue", "Arn"]}),
    ],
)
def test_the_check_lets_narrow_statements_pass(statement: dict[str, Any]) -> None:
    assert policies.policy_problems({"Statement": [statement]}) == []


def test_chalices_generated_policy_would_not_pass() -> None:
    # What autogen_policy gives every function: logs on every group, in every region.
    generated = {"Statement": [allow(["logs:CreateLogGroup", "logs:CreateLogStream"], "arn:*:logs:*:*:*")]}
    assert policies.policy_problems(generated)


# --- the policies are enough: every call the code makes is allowed ---------------------------------


class CallRecorder:
    """Every AWS call a boto3 client of the default session makes: service, operation, parameters."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append((model.service_model.service_name, model.name, dict(params)))

    def operations(self) -> set[str]:
        return {f"{service}.{operation}" for service, operation, _ in self.calls}


def _queue_arn(url: str) -> str:
    account, name = url.rstrip("/").split("/")[-2:]
    return f"arn:aws:sqs:{REGION}:{account}:{name}"


def needed(service: str, operation: str, params: Mapping[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    """The IAM actions and resources one call is authorized against (as AWS documents them)."""
    if service == "s3":
        bucket = f"arn:aws:s3:::{params['Bucket']}"
        if operation in ("ListObjectsV2", "ListObjects"):
            return [("s3:ListBucket", bucket, {"s3:prefix": str(params.get("Prefix", ""))})]
        object_actions = {"PutObject": "s3:PutObject", "GetObject": "s3:GetObject", "HeadObject": "s3:GetObject"}
        object_actions |= {"DeleteObject": "s3:DeleteObject", "CopyObject": "s3:PutObject"}
        if operation in object_actions:
            found = [(object_actions[operation], f"{bucket}/{params['Key']}", {})]
            if operation == "CopyObject":
                source = params["CopySource"]
                found.append(("s3:GetObject", f"arn:aws:s3:::{source['Bucket']}/{source['Key']}", {}))
            return found
    if service == "sqs":
        queue = (
            f"arn:aws:sqs:{REGION}:{params.get('QueueOwnerAWSAccountId', ACCOUNT)}:{params['QueueName']}"
            if operation == "GetQueueUrl"
            else _queue_arn(params["QueueUrl"])
        )
        sqs_actions = {"GetQueueUrl": "GetQueueUrl", "DeleteMessageBatch": "DeleteMessage"}
        sqs_actions |= {"DeleteMessage": "DeleteMessage", "ChangeMessageVisibility": "ChangeMessageVisibility"}
        sqs_actions |= {"ChangeMessageVisibilityBatch": "ChangeMessageVisibility", "ReceiveMessage": "ReceiveMessage"}
        if operation in sqs_actions:
            return [(f"sqs:{sqs_actions[operation]}", queue, {})]
    if service == "sesv2" and operation == "SendEmail":
        identity = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{params['FromEmailAddress']}"
        actions = ["ses:SendEmail", *(["ses:SendRawEmail"] if "Raw" in params["Content"] else [])]
        return [(action, identity, {}) for action in actions]
    if service == "ssm" and operation == "GetParameter":
        return [("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{params['Name'].lstrip('/')}", {})]
    raise AssertionError(f"no IAM mapping for {service}.{operation}: add one here, and to the policy if needed")


def _condition_holds(condition: Mapping[str, Mapping[str, Any]], request: Mapping[str, str]) -> bool:
    for operator, keys in condition.items():
        for key, wanted in keys.items():
            value = request.get(key)
            patterns = wanted if isinstance(wanted, list) else [wanted]
            if value is None:
                return False
            if operator == "StringLike" and not any(fnmatch.fnmatchcase(value, p) for p in patterns):
                return False
            if operator == "StringEquals" and value not in patterns:
                return False
            if operator not in ("StringLike", "StringEquals"):
                return False
    return True


def allowed(document: Mapping[str, Any], action: str, resource: str, request: Mapping[str, str]) -> bool:
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if (
            statement["Effect"] == "Allow"
            and any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in actions)
            and any(fnmatch.fnmatchcase(resource, r) for r in resources)
            and _condition_holds(statement.get("Condition", {}), request)
        ):
            return True
    return False


def denied_calls(recorder: CallRecorder, document: Mapping[str, Any]) -> list[str]:
    return [
        f"{service}.{operation} needs {action} on {resource}"
        for service, operation, params in recorder.calls
        for action, resource, request in needed(service, operation, params)
        if not allowed(document, action, resource, request)
    ]


@pytest.fixture
def policy_stack(aws_endpoint: str) -> dict[str, str]:
    return apply_template(TEMPLATE, {"Stage": "policy", "SenderAddress": SENDER})


@pytest.fixture
def recorder(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CallRecorder]:
    """Records what the application's clients call; the test's own calls go through another session."""
    session = botocore.session.get_session()
    calls = CallRecorder()
    session.register("before-parameter-build", calls)
    # chalicelib.core.aws makes its session with this call, again after every runtime.reset().
    monkeypatch.setattr(aws, "_new_session", lambda: session)
    runtime.reset()
    yield calls
    runtime.reset()


def test_the_rendered_policies_allow_every_call_the_functions_make(
    app_env: dict[str, str],
    policy_stack: dict[str, str],
    recorder: CallRecorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    own = boto3.session.Session()  # the test's calls: not recorded
    parameter = "/letterbox/policy/hcaptcha-secret"
    own.client("ssm").put_parameter(Name=parameter, Value=TEST_SECRET, Type="SecureString", Overwrite=True)
    rendered = policies.render_policies(
        policies.PolicyContext.from_stack("policy", policy_stack, {}, SENDER, parameter)
    )
    api_policy, notify_policy = rendered["policy-policy-api.json"], rendered["policy-policy-notify.json"]

    # The API, configured as deployed: the secret comes from SSM.
    monkeypatch.setenv("LETTERBOX_BUCKET", policy_stack["BucketName"])
    monkeypatch.delenv("HCAPTCHA_SECRET")
    monkeypatch.setenv("HCAPTCHA_SECRET_PARAMETER", parameter)
    runtime.reset()
    report = {
        "kind": "picket",
        "date": "2026-11-14",
        "city": "Berlin",
        "country": "Germany",
        "description": "Twenty people in front of the embassy.",
    }
    with Client(app, stage_name="test") as client:
        for key in ("policy-check-1", "policy-check-1"):  # the retry finds the first by listing
            response = client.http.post(
                "/forms/action-report/submissions",
                headers={"Content-Type": "application/json", "Origin": CAMPAIGN_ORIGIN, "Idempotency-Key": key},
                body=json.dumps({**report, "h-captcha-response": TEST_TOKEN}),
            )
            assert response.status_code == 201, response.body
    assert {"s3.PutObject", "s3.ListObjectsV2", "ssm.GetParameter"} <= recorder.operations()
    assert denied_calls(recorder, api_policy) == []

    # The notify function, configured as deployed: no captcha, no secret, no SSM.
    for name in ("HCAPTCHA_SECRET_PARAMETER", "HCAPTCHA_SITEKEY"):
        monkeypatch.delenv(name)
    for name, value in {
        "LETTERBOX_CAPTCHA": "off",
        "LETTERBOX_SENDER": SENDER,
        "LETTERBOX_ORGANIZERS": "first@campaign.example",
        "LETTERBOX_RETRY_DELAY_SECONDS": "0",
    }.items():
        monkeypatch.setenv(name, value)
    runtime.reset()
    recorder.calls.clear()
    sqs, url = own.client("sqs"), policy_stack["NotifyQueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="not an S3 event")  # fails: the batch is settled by hand
    messages: list[dict[str, Any]] = []
    for _ in range(10):
        answer = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageSystemAttributeNames=["All"]
        )
        messages += answer.get("Messages", [])
        if any("ObjectCreated" in m["Body"] for m in messages) and any(
            m["Body"] == "not an S3 event" for m in messages
        ):
            break
    records = [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m.get("Attributes", {}),
            "eventSource": "aws:sqs",
            "eventSourceARN": policy_stack["NotifyQueueArn"],
        }
        for m in messages
    ]
    with pytest.raises(BatchPartiallyFailed):
        notify({"Records": records}, None)
    assert {
        "s3.GetObject",
        "s3.PutObject",
        "sesv2.SendEmail",
        "sqs.GetQueueUrl",
        "sqs.DeleteMessageBatch",
        "sqs.ChangeMessageVisibility",
    } <= recorder.operations()
    assert "ssm.GetParameter" not in recorder.operations()
    assert denied_calls(recorder, notify_policy) == []


def test_a_call_outside_the_policy_is_caught() -> None:
    calls = CallRecorder()
    calls.calls.append(("s3", "GetObject", {"Bucket": OUTPUTS["BucketName"], "Key": "submissions/a/x.json"}))
    calls.calls.append(("s3", "ListObjectsV2", {"Bucket": OUTPUTS["BucketName"], "Prefix": "notified/"}))

    denied = denied_calls(calls, policies.api_policy(context()))

    assert denied == [
        f"s3.GetObject needs s3:GetObject on arn:aws:s3:::{OUTPUTS['BucketName']}/submissions/a/x.json",
        f"s3.ListObjectsV2 needs s3:ListBucket on arn:aws:s3:::{OUTPUTS['BucketName']}",
    ]


# --- the stack step ------------------------------------------------------------------------------


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


# --- deploy and destroy, end to end on the local AWS -------------------------------------------------


class LoaderStacks:
    """CloudFormation's stand-in: applies infra/template.yaml with devstack's loader (moto cannot run it)."""

    def __init__(self, declared: Mapping[str, Any]) -> None:
        self.declared = declared
        self.stacks: dict[str, Stack] = {}
        self.calls: list[tuple[str, str, dict[str, str]]] = []

    def describe(self, name: str) -> Stack | None:
        return self.stacks.get(name)

    def deploy(self, name: str, template_body: str, declared: Any, given: Mapping[str, str]) -> Stack:
        self.calls.append(("deploy", name, dict(given)))
        previous = self.stacks[name].parameters if name in self.stacks else {}
        defaults = {k: str(v.get("Default", "")) for k, v in self.declared.items()}
        parameters = {**defaults, **previous, **given}
        outputs = apply_template(TEMPLATE, parameters)
        self.stacks[name] = Stack(name, "CREATE_COMPLETE", outputs, parameters)
        return self.stacks[name]

    def delete(self, name: str) -> None:
        self.calls.append(("delete", name, {}))
        del self.stacks[name]


class FakeChalice:
    """Records the chalice commands the script runs (moto cannot import Chalice's REST API)."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], dict[str, str]]] = []

    def __call__(self, args: Sequence[str], env: Mapping[str, str], cwd: Path, capture: bool) -> str:
        self.calls.append((list(args), dict(env)))
        return "https://abc123.execute-api.us-east-1.amazonaws.com/api/\n" if "url" in args else ""

    def commands(self) -> list[list[str]]:
        return [args[3:] for args, _ in self.calls]  # after: python -m deploy.chalice_cli


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".chalice").mkdir()
    shutil.copy2(ROOT / ".chalice" / "config.json", tmp_path / ".chalice" / "config.json")
    (tmp_path / "infra").mkdir()
    shutil.copy2(TEMPLATE, tmp_path / "infra" / "template.yaml")
    return tmp_path


OPERATOR_ENV = {
    "LETTERBOX_SENDER": SENDER,
    "LETTERBOX_ORGANIZERS": "first@campaign.example, second@campaign.example",
    "LETTERBOX_ORIGINS": "https://campaign.example",
    "HCAPTCHA_SITEKEY": SITEKEY,
    "HCAPTCHA_SECRET": SECRET,
}


Made = TypeVar("Made", bound=Deployment)


def deployment(
    project: Path, stage: str, env: Mapping[str, str], **options: Any
) -> tuple[Deployment, LoaderStacks, FakeChalice, io.StringIO]:
    return _made(Deployment, project, stage, env, **options)


def teardown(
    project: Path, stage: str, env: Mapping[str, str], **options: Any
) -> tuple[Teardown, LoaderStacks, FakeChalice, io.StringIO]:
    return _made(Teardown, project, stage, env, **options)


def _made(
    kind: type[Made], project: Path, stage: str, env: Mapping[str, str], **options: Any
) -> tuple[Made, LoaderStacks, FakeChalice, io.StringIO]:
    out, chalice = io.StringIO(), FakeChalice()
    answers = options.pop("answers", [])
    made = kind(
        Options(stage=stage, project_dir=project, **options),
        boto3.session.Session(region_name=REGION),
        env,
        run=chalice,
        out=out,
        confirm=lambda _prompt: answers.pop(0),
        poll_seconds=1,
    )
    stacks = LoaderStacks(load_template(TEMPLATE)["Parameters"])
    made.stacks = stacks  # type: ignore[assignment]
    return made, stacks, chalice, out


def files_under(directory: Path) -> Iterator[Path]:
    return (path for path in directory.rglob("*") if path.is_file())


def test_deploy_builds_the_stage_and_never_writes_the_secret(project: Path, aws_endpoint: str) -> None:
    made, stacks, chalice, out = deployment(project, "prod", OPERATOR_ENV)

    url = made.deploy()

    assert url == "https://abc123.execute-api.us-east-1.amazonaws.com/api/"
    [(_, name, given)] = stacks.calls
    assert (name, given) == (
        "letterbox-prod",
        {
            "Stage": "prod",
            "SenderAddress": SENDER,
            "OrganizerEmails": "first@campaign.example,second@campaign.example",
            "UploadOrigins": "https://campaign.example",
            "NotifyFunctionTimeout": "60",
        },
    )
    outputs = stacks.stacks["letterbox-prod"].outputs
    config = stage_config.load(project / ".chalice" / "config.json")
    assert config["stages"]["prod"]["environment_variables"]["LETTERBOX_BUCKET"] == outputs["BucketName"]
    assert config["stages"]["dev"] == committed_config()["stages"]["dev"]
    for name in ("policy-prod-api.json", "policy-prod-notify.json"):
        document = json.loads((project / ".chalice" / name).read_text(encoding="utf-8"))
        assert policies.policy_problems(document, name) == []
        assert outputs["BucketName"] in json.dumps(document)
    # The secret went to SSM, encrypted, and nowhere else.
    parameter = boto3.client("ssm").get_parameter(Name="/letterbox/prod/hcaptcha-secret", WithDecryption=True)
    assert (parameter["Parameter"]["Type"], parameter["Parameter"]["Value"]) == ("SecureString", SECRET)
    assert not [path for path in files_under(project) if SECRET.encode() in path.read_bytes()]
    assert SECRET not in out.getvalue()
    # Chalice ran with the stack's queue, and without the secret in its environment.
    assert chalice.commands() == [["deploy", "--stage", "prod"], ["url", "--stage", "prod"]]
    for _, env in chalice.calls:
        assert env["LETTERBOX_NOTIFY_QUEUE"] == outputs["NotifyQueueName"] == "letterbox-prod-notify"
        assert "HCAPTCHA_SECRET" not in env
    assert "ReportBatchItemFailures" not in json.dumps(config)
    # The functions' log groups exist before the functions, with their retention.
    groups = boto3.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/letterbox-prod")["logGroups"]
    assert {(g["logGroupName"], g.get("retentionInDays")) for g in groups} == {
        ("/aws/lambda/letterbox-prod", 30),
        ("/aws/lambda/letterbox-prod-notify", 30),
    }


def test_deploying_again_changes_no_file_and_needs_no_secret(project: Path, aws_endpoint: str) -> None:
    deployment(project, "prod", OPERATOR_ENV)[0].deploy()
    before = {path: path.read_bytes() for path in files_under(project / ".chalice")}

    env = {k: v for k, v in OPERATOR_ENV.items() if k != "HCAPTCHA_SECRET"}  # read back from config.json's name
    made, _, chalice, out = deployment(project, "prod", env)
    made.deploy()

    assert {path: path.read_bytes() for path in files_under(project / ".chalice")} == before
    assert "wrote" not in out.getvalue()
    assert chalice.commands()[0] == ["deploy", "--stage", "prod"]


def test_settings_come_from_config_json_when_not_given_again(project: Path, aws_endpoint: str) -> None:
    deployment(project, "prod", OPERATOR_ENV)[0].deploy()
    made, stacks, _, _ = deployment(project, "prod", {"HCAPTCHA_SECRET": SECRET})

    made.deploy()

    assert stacks.calls[0][2]["SenderAddress"] == SENDER
    config = stage_config.load(project / ".chalice" / "config.json")
    assert config["stages"]["prod"]["environment_variables"]["LETTERBOX_ORIGINS"] == "https://campaign.example"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"HCAPTCHA_SITEKEY": "10000000-ffff-ffff-ffff-000000000001"}, "public test key"),
        ({"HCAPTCHA_SECRET": TEST_SECRET}, "public test secret"),
        ({"LETTERBOX_ORIGINS": "campaign.example"}, "is not an origin"),
        ({"LETTERBOX_SENDER": ""}, "LETTERBOX_SENDER"),
        ({"HCAPTCHA_SECRET": ""}, "no hCaptcha secret"),
        ({"HCAPTCHA_SECRET_PARAMETER": "/letterbox/other"}, "not both"),
    ],
)
def test_a_bad_setting_stops_the_deploy_before_the_stack(
    project: Path, aws_endpoint: str, change: dict[str, str], message: str
) -> None:
    made, stacks, chalice, _ = deployment(project, "production", {**OPERATOR_ENV, **change})

    with pytest.raises(DeployError, match=message):
        made.deploy()

    assert stacks.calls == []
    assert chalice.calls == []


def test_a_notify_timeout_the_queue_cannot_follow_is_refused(project: Path, aws_endpoint: str) -> None:
    config = stage_config.load(project / ".chalice" / "config.json")
    config["stages"]["prod"]["lambda_functions"]["notify"]["lambda_timeout"] = 45
    (project / ".chalice" / "config.json").write_text(stage_config.dumps(config), encoding="utf-8")
    made, stacks, _, _ = deployment(project, "prod", OPERATOR_ENV)

    with pytest.raises(DeployError, match="lambda_timeout"):
        made.deploy()
    assert stacks.calls == []


def test_a_named_ssm_parameter_is_used_as_it_is(project: Path, aws_endpoint: str) -> None:
    boto3.client("ssm").put_parameter(Name="/campaign/hcaptcha", Value=SECRET, Type="SecureString", Overwrite=True)
    env = {**{k: v for k, v in OPERATOR_ENV.items() if k != "HCAPTCHA_SECRET"}}
    made, _, _, _ = deployment(project, "staging", {**env, "HCAPTCHA_SECRET_PARAMETER": "/campaign/hcaptcha"})

    made.deploy()

    config = stage_config.load(project / ".chalice" / "config.json")
    api = config["stages"]["staging"]["lambda_functions"]["api_handler"]
    assert api["environment_variables"]["HCAPTCHA_SECRET_PARAMETER"] == "/campaign/hcaptcha"
    policy = json.loads((project / ".chalice" / "policy-staging-api.json").read_text(encoding="utf-8"))
    assert statements(policy)["ReadCaptchaSecret"]["Resource"] == [
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/campaign/hcaptcha"
    ]


def test_a_bucket_kept_by_an_earlier_destroy_stops_a_new_deploy_until_it_is_gone(
    project: Path, aws_endpoint: str
) -> None:
    s3 = boto3.client("s3")
    bucket = BUCKET_NAME.format(stage="leftover", account=ACCOUNT, region=REGION)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="submissions/a/x.json", Body=b"{}")
    made, stacks, _, _ = deployment(project, "leftover", OPERATOR_ENV)

    with pytest.raises(DeployError, match="still holds submissions"):
        made.deploy()
    assert stacks.calls == []

    s3.delete_object(Bucket=bucket, Key="submissions/a/x.json")
    made, stacks, _, out = deployment(project, "leftover", OPERATOR_ENV)
    made.deploy()  # an empty leftover is removed, and the stack creates the bucket again
    assert f"deleting the empty bucket {bucket}" in out.getvalue()
    assert stacks.calls


def deployed(project: Path, stage: str) -> dict[str, str]:
    made, stacks, _, _ = deployment(project, stage, OPERATOR_ENV)
    made.deploy()
    (project / ".chalice" / "deployed").mkdir(exist_ok=True)
    (project / ".chalice" / "deployed" / f"{stage}.json").write_text("{}", encoding="utf-8")  # as chalice leaves it
    outputs = stacks.stacks[f"letterbox-{stage}"].outputs
    boto3.client("s3").put_object(Bucket=outputs["BucketName"], Key="submissions/a/2026/11/25/x.json", Body=b"{}")
    return outputs


def test_destroy_keeps_the_bucket_and_says_so(project: Path, aws_endpoint: str) -> None:
    outputs = deployed(project, "keep")
    made, _, chalice, out = teardown(project, "keep", {})
    made.stacks.stacks["letterbox-keep"] = Stack("letterbox-keep", "CREATE_COMPLETE", outputs, {})  # type: ignore[attr-defined]

    made.destroy()

    assert chalice.commands() == [["delete", "--stage", "keep"]]
    assert chalice.calls[0][1]["LETTERBOX_NOTIFY_QUEUE"] == outputs["NotifyQueueName"]
    assert made.stacks.calls == [("delete", "letterbox-keep", {})]  # type: ignore[attr-defined]
    s3 = boto3.client("s3")
    assert s3.list_objects_v2(Bucket=outputs["BucketName"])["KeyCount"] == 1
    assert f"Kept: bucket {outputs['BucketName']} (1 objects" in out.getvalue()
    assert "make destroy STAGE=keep DELETE_DATA=1" in out.getvalue()
    with pytest.raises(boto3.client("ssm").exceptions.ParameterNotFound):
        boto3.client("ssm").get_parameter(Name=SECRET_PARAMETER.format(stage="keep"))


def test_destroy_with_delete_data_asks_then_removes_every_version(project: Path, aws_endpoint: str) -> None:
    outputs = deployed(project, "wipe")
    s3, bucket = boto3.client("s3"), outputs["BucketName"]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="notified/x", Body=b"1")
    s3.put_object(Bucket=bucket, Key="notified/x", Body=b"2")
    s3.delete_object(Bucket=bucket, Key="notified/x")  # a delete marker, and two old versions

    made, _, _, _ = teardown(project, "wipe", {}, delete_data=True, answers=["no"])
    with pytest.raises(DeployError, match="not confirmed"):
        made.destroy()
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 1

    made, _, _, out = teardown(project, "wipe", {}, delete_data=True, answers=[bucket])
    try:
        made.destroy()
        assert bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
        assert f"deleted bucket {bucket} and 4 object versions" in out.getvalue()
    finally:
        # moto 5.2.1 keeps the deleted keys, and /moto-api/data.json (which the notify tests read)
        # then fails looking up their bucket: an empty bucket of that name keeps it answering.
        s3.create_bucket(Bucket=bucket)


def test_destroy_leaves_a_parameter_the_operator_created(project: Path, aws_endpoint: str) -> None:
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/campaign/theirs", Value=SECRET, Type="SecureString", Overwrite=True)
    env = {k: v for k, v in OPERATOR_ENV.items() if k != "HCAPTCHA_SECRET"}
    deployment(project, "theirs", {**env, "HCAPTCHA_SECRET_PARAMETER": "/campaign/theirs"})[0].deploy()

    made, _, _, out = teardown(project, "theirs", {})
    made.destroy()

    assert ssm.get_parameter(Name="/campaign/theirs")["Parameter"]["Name"] == "/campaign/theirs"
    assert "kept SSM parameter /campaign/theirs" in out.getvalue()


# --- the hCaptcha secret from SSM ----------------------------------------------------------------------


@pytest.fixture
def ssm_parameter(aws_endpoint: str) -> str:
    boto3.client("ssm").put_parameter(
        Name="/letterbox/secrets-test/hcaptcha-secret", Value=SECRET, Type="SecureString", Overwrite=True
    )
    return "/letterbox/secrets-test/hcaptcha-secret"


def test_the_secret_is_read_from_a_securestring_parameter(ssm_parameter: str) -> None:
    env = with_secrets({"HCAPTCHA_SECRET_PARAMETER": ssm_parameter, "OTHER": "kept"})
    assert env == {"HCAPTCHA_SECRET_PARAMETER": ssm_parameter, "OTHER": "kept", "HCAPTCHA_SECRET": SECRET}


def test_without_a_parameter_nothing_is_asked_of_ssm() -> None:
    def no_client() -> Any:
        raise AssertionError("an SSM client was created")

    env = {"HCAPTCHA_SECRET": "given"}
    assert with_secrets(env, no_client) is env


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HCAPTCHA_SECRET_PARAMETER": "/letterbox/none"}, "cannot read /letterbox/none: ParameterNotFound"),
        ({"HCAPTCHA_SECRET_PARAMETER": "/letterbox/plain"}, "must be a SecureString"),
        ({"HCAPTCHA_SECRET_PARAMETER": "/letterbox/plain", "HCAPTCHA_SECRET": "x"}, "not both"),
    ],
)
def test_an_unusable_parameter_is_a_config_error_without_the_value(
    aws_endpoint: str, env: dict[str, str], message: str
) -> None:
    boto3.client("ssm").put_parameter(Name="/letterbox/plain", Value="in-the-clear", Type="String", Overwrite=True)
    with pytest.raises(ConfigError, match=message) as raised:
        with_secrets(env)
    assert "in-the-clear" not in str(raised.value)


def test_the_running_service_takes_its_secret_from_ssm(
    app_env: dict[str, str], ssm_parameter: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HCAPTCHA_SECRET")
    monkeypatch.setenv("HCAPTCHA_SECRET_PARAMETER", ssm_parameter)
    runtime.reset()

    assert runtime.settings().hcaptcha_secret == SECRET


def test_the_command_line_reports_a_missing_setting_and_fails(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["deploy", "--stage", "prod", "--region", REGION, "--project-dir", str(project)], env={})

    assert code == 1
    assert "no sender address" in capsys.readouterr().err


# --- running chalice, and the make targets -------------------------------------------------------------


def test_chalice_is_told_the_runtimes_python_version_for_binary_wheels() -> None:
    download = ["--only-binary=:all:", "--no-deps", "--abi", "cp312", "--dest", "d", "rpds-py==1"]
    assert chalice_cli.pip_arguments("download", download) == ["--python-version", "3.12", *download]
    assert chalice_cli.pip_arguments("download", ["-r", "requirements.txt"]) == ["-r", "requirements.txt"]
    assert chalice_cli.pip_arguments("wheel", ["--abi", "cp312"]) == ["--abi", "cp312"]


def test_the_lambda_runtime_is_one_chalice_can_build_for() -> None:
    assert chalice_cli.lambda_runtime({}) == "python3.12"
    assert chalice_cli.lambda_runtime({"LETTERBOX_LAMBDA_RUNTIME": "python3.13"}) == "python3.13"
    with pytest.raises(SystemExit, match=r"python3\.99"):
        chalice_cli.lambda_runtime({"LETTERBOX_LAMBDA_RUNTIME": "python3.99"})


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["deploy"], "-m deploy deploy --stage prod"),
        (["deploy", "STAGE=staging"], "-m deploy deploy --stage staging"),
        (["deploy", "ARGS=--retention-days 365"], "-m deploy deploy --stage prod --retention-days 365"),
        (["destroy"], "-m deploy destroy --stage prod "),
        (["destroy", "DELETE_DATA=1"], "-m deploy destroy --stage prod --delete-data"),
    ],
)
def test_make_targets(arguments: list[str], expected: str) -> None:
    make = shutil.which("make")
    assert make is not None, "make is missing: run scripts/system-packages"
    result = subprocess.run([make, "-n", *arguments], cwd=ROOT, capture_output=True, text=True, check=True)
    assert expected in result.stdout
