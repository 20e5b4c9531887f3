"""Secrets kept out of the function's configuration: the hCaptcha secret, read from SSM Parameter Store.

A deployed stage names the parameter (HCAPTCHA_SECRET_PARAMETER, a SecureString) instead of
carrying the secret in an environment variable, where anyone allowed to read the function's
configuration would see it. It is read once per process, when the settings are built; the
SSM client is created then and only then, never at import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from chalicelib.core import aws
from chalicelib.core.aws_errors import ParameterUnreadable, ssm_errors
from chalicelib.core.settings import ConfigError

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

SECRET = "HCAPTCHA_SECRET"  # noqa: S105 (the variable's name, not a secret)
SECRET_PARAMETER = "HCAPTCHA_SECRET_PARAMETER"  # noqa: S105 (same)


def _ssm_client() -> SSMClient:
    ssm: SSMClient = aws.client("ssm")
    return ssm


def with_secrets(env: Mapping[str, str], ssm: Callable[[], SSMClient] = _ssm_client) -> Mapping[str, str]:
    """`env`, with HCAPTCHA_SECRET read from the parameter HCAPTCHA_SECRET_PARAMETER names (if it names one)."""
    name = env.get(SECRET_PARAMETER, "").strip()
    if not name:
        return env
    if env.get(SECRET, "").strip():
        raise ConfigError(f"set {SECRET} or {SECRET_PARAMETER}, not both")
    try:
        with ssm_errors():
            parameter = ssm().get_parameter(Name=name, WithDecryption=True)["Parameter"]
    except ParameterUnreadable as error:
        raise ConfigError(f"{SECRET_PARAMETER}: cannot read {name}: {error}") from None
    if parameter.get("Type") != "SecureString":
        raise ConfigError(f"{SECRET_PARAMETER}: {name} must be a SecureString parameter")
    value = parameter.get("Value", "")
    if not value:
        raise ConfigError(f"{SECRET_PARAMETER}: {name} is empty")
    return {**env, SECRET: value}
