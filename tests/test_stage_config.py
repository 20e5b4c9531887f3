"""The stage's configuration (deploy/stage_config.py) rendered from a stack's outputs, and the template's
names and limits it must agree with; checked without an AWS account.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.core.form_choices import FormChoices, FormOptions
from deploy import policies, stage_config
from deploy.deployment import BUCKET_NAME
from deploy.stage_config import StageConfigError, StageSettings
from infra.template import load_template
from tests.conftest import TEMPLATE
from tests.deploy_fakes import ACCOUNT, OUTPUTS, REGION, SECRET, SENDER, SETTINGS, SITEKEY, committed_config


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
        "LETTERBOX_SIGNING_KEY_PARAMETER": "/letterbox/prod/signing-key",
    }
    # The notify function signs review links; the digests schedule signs nothing.
    assert notify_function["environment_variables"] == {
        "LETTERBOX_CAPTCHA": "off",
        "LETTERBOX_SIGNING_KEY_PARAMETER": "/letterbox/prod/signing-key",
    }
    assert "LETTERBOX_SIGNING_KEY_PARAMETER" not in str(prod["lambda_functions"]["digests"])


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


def test_organizers_and_origins_are_written_only_when_the_operator_gave_them() -> None:
    from_the_file = StageSettings(**{**SETTINGS.__dict__, "organizers": (), "origins": ()})

    rendered = stage_config.render(committed_config(), "prod", OUTPUTS, from_the_file)

    # A variable set in the stage would override letterbox.toml for every form.
    environment = stage_config.environment(rendered, "prod", "api_handler")
    assert "LETTERBOX_ORGANIZERS" not in environment
    assert "LETTERBOX_ORIGINS" not in environment
    again = stage_config.render(rendered, "prod", OUTPUTS, SETTINGS)
    assert stage_config.environment(again, "prod", "api_handler")["LETTERBOX_ORIGINS"] == (
        "https://campaign.example https://www.campaign.example"
    )


# The forms' options as the stage reads them (letterbox.toml under its variables): one organizer.
CHOICES = FormChoices("prod", FormOptions(organizers=("anna@campaign.example",)))


@pytest.mark.parametrize(
    ("change", "choices", "message"),
    [
        ({"sender": ""}, CHOICES, "LETTERBOX_SENDER"),
        ({}, FormChoices("prod", FormOptions()), r"no organizers: add organizers = .* to letterbox\.toml"),
        ({"sitekey": ""}, CHOICES, "HCAPTCHA_SITEKEY"),
        ({"secret_parameter": ""}, CHOICES, "HCAPTCHA_SECRET"),
    ],
)
def test_missing_settings_are_named(change: dict[str, Any], choices: FormChoices, message: str) -> None:
    settings = StageSettings(**{**SETTINGS.__dict__, **change})
    with pytest.raises(StageConfigError, match=message):
        settings.check(choices)


def test_organizers_of_one_form_only_are_enough() -> None:
    SETTINGS.check(FormChoices("prod", FormOptions(), {"letter-copy": FormOptions(organizers=("a@campaign.example",))}))


@pytest.mark.parametrize("variable", ["LETTERBOX_LOCAL", "LETTERBOX_LOCAL_ORIGINS", "LETTERBOX_CONFIG"])
def test_a_stage_carrying_the_local_stacks_variables_is_never_rendered(variable: str) -> None:
    config = committed_config()
    config["stages"]["prod"]["lambda_functions"]["api_handler"]["environment_variables"] = {variable: "1"}

    with pytest.raises(StageConfigError, match=f"stage 'prod' sets {variable} for api_handler"):
        stage_config.render(config, "prod", OUTPUTS, SETTINGS)


def test_the_local_stage_is_marked_local_and_leaves_the_forms_to_letterbox_toml() -> None:
    dev = stage_config.environment(committed_config(), "dev")

    assert dev["LETTERBOX_LOCAL"] == "1"  # `chalice local --stage dev` accepts the test keys
    assert "LETTERBOX_ORGANIZERS" not in dev  # letterbox.toml's [stages.dev] names them
    assert "LETTERBOX_ORIGINS" not in dev


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
    groups = ("ApiLogGroup", "NotifyLogGroup", "DigestsLogGroup")
    names = {resources[r]["Properties"]["LogGroupName"]["Fn::Sub"] for r in groups}
    expected = {f"/aws/lambda/{name}" for name in policies.function_names("${Stage}").values()}
    assert names == expected
    assert resources["ApiLogGroup"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
