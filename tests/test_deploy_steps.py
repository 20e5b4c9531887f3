"""`make deploy` end to end on the local AWS (deploy/deployment.py): the stack is applied by devstack's loader
(moto cannot run infra/template.yaml), chalice is a fake that records its commands.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import boto3
import pytest

from deploy import policies, stage_config
from deploy.deployment import BUCKET_NAME
from deploy.stack import DeployError
from tests.conftest import TEST_SECRET, TEST_SITEKEY
from tests.deploy_fakes import (
    ACCOUNT,
    FILE_ENV,
    OPERATOR_ENV,
    REGION,
    SECRET,
    SENDER,
    committed_config,
    deployment,
    files_under,
    recording_session,
    rest_api,
    statements,
    write_config,
)

# The `project` fixture: a copy of the files `make deploy` reads and writes.
pytest_plugins = ["tests.deploy_project"]


def test_deploy_builds_the_stage_and_never_writes_the_secret(project: Path, aws_endpoint: str) -> None:
    made, stacks, chalice, out = deployment(project, "prod", OPERATOR_ENV)

    url = made.deploy()

    api_id, _ = rest_api(project, "prod")
    assert url == f"https://{api_id}.execute-api.us-east-1.amazonaws.com/api/"
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
    # Chalice ran with the stack's queue, and without the secret in its environment; a first deploy runs
    # twice, so that the notify function knows the API's URL (the emails' review links), known only now.
    assert chalice.commands() == [
        ["deploy", "--stage", "prod"],
        ["url", "--stage", "prod"],
        ["deploy", "--stage", "prod"],
    ]
    assert stage_config.environment(config, "prod", "notify")["LETTERBOX_API_URL"] == url
    assert "LETTERBOX_API_URL" not in stage_config.environment(config, "prod", "api_handler")
    for _, env in chalice.calls:
        assert env["LETTERBOX_NOTIFY_QUEUE"] == outputs["NotifyQueueName"] == "letterbox-prod-notify"
        assert "HCAPTCHA_SECRET" not in env
    assert "ReportBatchItemFailures" not in json.dumps(config)
    # The functions' log groups exist before the functions, with their retention.
    groups = boto3.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/letterbox-prod")["logGroups"]
    assert {(g["logGroupName"], g.get("retentionInDays")) for g in groups} == {
        ("/aws/lambda/letterbox-prod", 30),
        ("/aws/lambda/letterbox-prod-notify", 30),
        ("/aws/lambda/letterbox-prod-digests", 30),
    }


def test_deploying_again_changes_no_file_and_needs_no_secret(project: Path, aws_endpoint: str) -> None:
    deployment(project, "prod", OPERATOR_ENV)[0].deploy()
    before = {path: path.read_bytes() for path in files_under(project / ".chalice")}

    env = {k: v for k, v in OPERATOR_ENV.items() if k != "HCAPTCHA_SECRET"}  # read back from config.json's name
    made, _, chalice, out = deployment(project, "prod", env)
    made.deploy()

    assert {path: path.read_bytes() for path in files_under(project / ".chalice")} == before
    assert "wrote" not in out.getvalue()
    # The API's URL is known from the first: one chalice deploy.
    assert chalice.commands() == [["deploy", "--stage", "prod"], ["url", "--stage", "prod"]]


def test_an_api_url_given_goes_to_the_notify_function_and_must_be_https(project: Path, aws_endpoint: str) -> None:
    given = "https://api.campaign.example/"
    made, _, chalice, _ = deployment(project, "prod", {**OPERATOR_ENV, "LETTERBOX_API_URL": given})

    made.deploy()

    config = stage_config.load(project / ".chalice" / "config.json")
    assert stage_config.environment(config, "prod", "notify")["LETTERBOX_API_URL"] == given
    assert chalice.commands() == [["deploy", "--stage", "prod"], ["url", "--stage", "prod"]]
    plain = deployment(project, "prod", {**OPERATOR_ENV, "LETTERBOX_API_URL": "http://api.campaign.example/"})[0]
    with pytest.raises(DeployError, match="LETTERBOX_API_URL must be an https:// URL"):
        plain.deploy()


def test_the_first_deploy_makes_the_signing_key_and_later_ones_keep_it(project: Path, aws_endpoint: str) -> None:
    deployment(project, "prod", OPERATOR_ENV)[0].deploy()
    ssm = boto3.client("ssm")
    first = ssm.get_parameter(Name="/letterbox/prod/signing-key", WithDecryption=True)["Parameter"]

    made, _, _, out = deployment(project, "prod", OPERATOR_ENV)
    made.deploy()

    again = ssm.get_parameter(Name="/letterbox/prod/signing-key", WithDecryption=True)["Parameter"]
    assert first["Type"] == "SecureString"
    assert len(base64.b64decode(first["Value"])) == 32
    assert again["Value"] == first["Value"]  # a new key would void every link and challenge given out
    assert "signing key" not in out.getvalue()
    assert first["Value"] not in out.getvalue()
    assert not [path for path in files_under(project) if first["Value"].encode() in path.read_bytes()]


def test_settings_come_from_config_json_when_not_given_again(project: Path, aws_endpoint: str) -> None:
    deployment(project, "prod", OPERATOR_ENV)[0].deploy()
    made, stacks, _, out = deployment(project, "prod", {"HCAPTCHA_SECRET": SECRET})

    made.deploy()

    assert stacks.calls[0][2]["SenderAddress"] == SENDER
    config = stage_config.load(project / ".chalice" / "config.json")
    assert config["stages"]["prod"]["environment_variables"]["LETTERBOX_ORIGINS"] == "https://campaign.example"
    # An override an earlier deploy wrote still wins over letterbox.toml, and the deploy says where it is.
    assert (
        "LETTERBOX_ORIGINS overrides letterbox.toml for every form of stage prod "
        "(set in .chalice/config.json: remove it there to let the file decide)"
    ) in out.getvalue()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"HCAPTCHA_SITEKEY": "10000000-ffff-ffff-ffff-000000000001"}, "public test key"),
        ({"HCAPTCHA_SECRET": TEST_SECRET}, "public test secret"),
        ({"LETTERBOX_ORIGINS": "campaign.example"}, "is not an origin"),
        ({"LETTERBOX_SENDER": ""}, "LETTERBOX_SENDER"),
        ({"HCAPTCHA_SECRET": ""}, "no hCaptcha secret"),
        ({"HCAPTCHA_SECRET_PARAMETER": "/letterbox/other"}, "not both"),
        ({"LETTERBOX_CONFIG": "campaign.toml"}, "LETTERBOX_CONFIG is for local runs"),
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


# --- letterbox.toml: the forms' organizers and origins, checked before any AWS call ----------------

CAMPAIGN = """\
organizers = ["anna@campaign.example", "boris@campaign.example"]
origins = ["https://campaign.example"]

[forms.letter-copy]
origins = ["https://campaign.example", "https://letters.campaign.example"]
organizers = ["press@campaign.example", "anna@campaign.example", "vera@campaign.example"]

[stages.dev]
origins = ["http://127.0.0.1:8080"]
"""


def test_a_wrong_letterbox_toml_stops_the_deploy_before_any_aws_call(project: Path, aws_endpoint: str) -> None:
    write_config(
        project, 'organizers = ["anna@campaign.example"]\n\n[forms.letter-copy]\norigins = "https://x.example"\n'
    )
    session, aws_calls = recording_session()
    made, stacks, chalice, _ = deployment(project, "prod", FILE_ENV, session=session)

    with pytest.raises(DeployError, match=r"^letterbox\.toml line 4: forms\.letter-copy\.origins: must be a list"):
        made.deploy()

    assert aws_calls == []
    assert stacks.calls == []
    assert chalice.calls == []


def test_the_stack_gets_every_forms_origins_and_the_organizers_from_the_file(project: Path, aws_endpoint: str) -> None:
    write_config(project, CAMPAIGN)
    session, aws_calls = recording_session()
    made, stacks, _, out = deployment(project, "fromfile", FILE_ENV, session=session)

    made.deploy()  # a stage of its own: moto keeps the alarm subscriptions of every test

    [(_, _, given)] = stacks.calls
    assert given["UploadOrigins"] == "https://campaign.example,https://letters.campaign.example"
    # The template subscribes three addresses to the dead-letter alarm: the first three, and the deploy says so.
    assert given["OrganizerEmails"] == "anna@campaign.example,boris@campaign.example,press@campaign.example"
    assert "the dead-letter alarm goes to the first 3 organizers" in out.getvalue()
    outputs = stacks.stacks["letterbox-fromfile"].outputs
    [rule] = boto3.client("s3").get_bucket_cors(Bucket=outputs["BucketName"])["CORSRules"]
    assert rule["AllowedOrigins"] == ["https://campaign.example", "https://letters.campaign.example"]
    subscribed = boto3.client("sns").list_subscriptions_by_topic(TopicArn=outputs["AlarmTopicArn"])["Subscriptions"]
    assert sorted(s["Endpoint"] for s in subscribed) == [
        "anna@campaign.example",
        "boris@campaign.example",
        "press@campaign.example",
    ]
    # The file decides: no variable overrides it in the stage the functions run.
    environment = stage_config.environment(
        stage_config.load(project / ".chalice" / "config.json"), "fromfile", "api_handler"
    )
    assert "LETTERBOX_ORGANIZERS" not in environment
    assert "LETTERBOX_ORIGINS" not in environment
    assert "overrides letterbox.toml" not in out.getvalue()
    assert "GetCallerIdentity" in aws_calls  # (the recording sees the calls a deploy makes)


def test_organizers_and_origins_given_at_deploy_are_written_as_overrides(project: Path, aws_endpoint: str) -> None:
    write_config(project, CAMPAIGN)
    made, stacks, _, out = deployment(project, "prod", FILE_ENV, origins="https://other.example")

    made.deploy()

    assert stacks.calls[0][2]["UploadOrigins"] == "https://other.example"
    environment = stage_config.load(project / ".chalice" / "config.json")["stages"]["prod"]["environment_variables"]
    assert environment["LETTERBOX_ORIGINS"] == "https://other.example"
    assert "LETTERBOX_ORGANIZERS" not in environment
    assert "LETTERBOX_ORIGINS overrides letterbox.toml for every form of stage prod\n" in out.getvalue()


def test_a_stage_without_organizers_in_the_file_or_the_variables_is_refused(project: Path, aws_endpoint: str) -> None:
    made, stacks, _, _ = deployment(project, "prod", FILE_ENV)  # the committed file names none for prod

    with pytest.raises(DeployError, match=r"no organizers: add organizers = \[.*\] to letterbox\.toml"):
        made.deploy()
    assert stacks.calls == []


def test_no_origins_anywhere_is_a_warning(project: Path, aws_endpoint: str) -> None:
    write_config(project, 'organizers = ["anna@campaign.example"]\n')
    made, stacks, _, out = deployment(project, "prod", FILE_ENV)

    made.deploy()

    assert "warning: stage prod allows no origins (letterbox.toml)" in out.getvalue()
    assert stacks.calls[0][2]["UploadOrigins"] == ""


# --- every deployed stage is held to production's rules, whatever its name -------------------------


def staging_env(project: Path, **variables: str) -> None:
    """Give the (new) stage "staging" these variables in .chalice/config.json, as an operator might."""
    config = stage_config.load(project / ".chalice" / "config.json")
    config["stages"]["staging"] = {**config["stages"]["prod"], "environment_variables": dict(variables)}
    (project / ".chalice" / "config.json").write_text(stage_config.dumps(config), encoding="utf-8")


@pytest.mark.parametrize(
    ("env", "in_config", "message"),
    [
        ({"HCAPTCHA_SITEKEY": TEST_SITEKEY}, {}, "HCAPTCHA_SITEKEY is hCaptcha's public test key"),
        ({"HCAPTCHA_SECRET": TEST_SECRET}, {}, "HCAPTCHA_SECRET is hCaptcha's public test secret"),
        ({"HCAPTCHA_SITEKEY": ""}, {"HCAPTCHA_SITEKEY": TEST_SITEKEY}, "public test key"),
        ({}, {"HCAPTCHA_VERIFY_URL": "http://127.0.0.1:9/siteverify"}, "HCAPTCHA_VERIFY_URL must be an https:// URL"),
    ],
)
def test_a_stage_named_staging_refuses_the_test_keys(
    project: Path, aws_endpoint: str, env: dict[str, str], in_config: dict[str, str], message: str
) -> None:
    staging_env(project, **in_config)
    session, aws_calls = recording_session()
    made, stacks, _, _ = deployment(project, "staging", {**OPERATOR_ENV, **env}, session=session)

    with pytest.raises(DeployError, match=message):
        made.deploy()
    assert aws_calls == []
    assert stacks.calls == []


@pytest.mark.parametrize(
    ("where", "variable"),
    [
        ("stage", "LETTERBOX_LOCAL"),
        ("notify", "LETTERBOX_LOCAL"),
        ("top level", "LETTERBOX_LOCAL"),
        ("stage", "LETTERBOX_LOCAL_ORIGINS"),
        ("stage", "LETTERBOX_CONFIG"),
    ],
)
def test_a_stage_that_carries_the_local_marker_is_refused(
    project: Path, aws_endpoint: str, where: str, variable: str
) -> None:
    config = stage_config.load(project / ".chalice" / "config.json")
    scope = {
        "stage": config["stages"]["prod"],
        "notify": config["stages"]["prod"]["lambda_functions"]["notify"],
        "top level": config,
    }[where]
    scope.setdefault("environment_variables", {})[variable] = "1"
    (project / ".chalice" / "config.json").write_text(stage_config.dumps(config), encoding="utf-8")
    session, aws_calls = recording_session()
    made, stacks, _, _ = deployment(project, "prod", OPERATOR_ENV, session=session)

    with pytest.raises(DeployError, match=f"stage 'prod' sets {variable} for .* it is for the local stack only"):
        made.deploy()
    assert aws_calls == []
    assert stacks.calls == []
