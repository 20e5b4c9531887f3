"""The hCaptcha secret from SSM (chalicelib/core/ssm_secrets.py) against moto's SSM."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from chalicelib import runtime
from chalicelib.core.settings import ConfigError
from chalicelib.core.ssm_secrets import with_secrets
from tests.deploy_fakes import SECRET


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
