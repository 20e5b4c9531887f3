"""The stage's signing key (chalicelib/core/signing_keys.py), read from moto's SSM as from AWS's."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from typing import Any, Literal

import boto3
import pytest
from botocore.config import Config

from chalicelib.core.signing_keys import SigningKeys, SigningKeyUnavailable
from devstack.stack import put_signing_key
from tests.conftest import free_port


def counting(client: Any) -> tuple[Callable[[], Any], list[str]]:
    """The client, and the list of GetParameter calls made through it."""
    calls: list[str] = []
    client.meta.events.register("before-call.ssm.GetParameter", lambda **_: calls.append("get"))
    return lambda: client, calls


def test_each_purpose_has_its_own_key_derived_from_the_stage_key(aws_endpoint: str) -> None:
    name = put_signing_key("keys-test")
    stored = boto3.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    stage_key = base64.b64decode(stored)
    keys = SigningKeys(name, lambda: boto3.client("ssm"))

    altcha, review = keys.derive("altcha"), keys.derive("review")

    assert altcha == hmac.new(stage_key, b"letterbox altcha", hashlib.sha256).digest()
    assert review != altcha
    assert len(review) == 32
    assert stage_key not in (altcha, review)


def test_the_key_is_read_once_per_process(aws_endpoint: str) -> None:
    client, calls = counting(boto3.client("ssm"))
    keys = SigningKeys(put_signing_key("keys-once"), client)

    assert keys.derive("altcha") == keys.derive("altcha")
    keys.derive("review")
    assert calls == ["get"]


def test_an_unreachable_ssm_is_unavailable_and_asked_again_next_time(aws_endpoint: str) -> None:
    name = put_signing_key("keys-down")
    closed = boto3.client(
        "ssm",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        config=Config(connect_timeout=0.5, retries={"max_attempts": 1}),
    )
    reachable = boto3.client("ssm")
    clients = iter([closed, reachable])
    keys = SigningKeys(name, lambda: next(clients))

    with pytest.raises(SigningKeyUnavailable, match=f"cannot read {name}"):
        keys.derive("altcha")
    assert len(keys.derive("altcha")) == 32  # SSM back: no restart needed


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("String", base64.b64encode(b"k" * 32).decode(), "must be a SecureString"),
        ("SecureString", "not base64!", "does not hold a base64 key"),
        ("SecureString", base64.b64encode(b"short").decode(), "shorter than 32 bytes"),
    ],
)
def test_a_parameter_not_as_the_deploy_makes_it_is_refused_without_its_value(
    aws_endpoint: str, kind: Literal["String", "SecureString"], value: str, message: str
) -> None:
    boto3.client("ssm").put_parameter(Name="/letterbox/odd/signing-key", Value=value, Type=kind, Overwrite=True)
    keys = SigningKeys("/letterbox/odd/signing-key", lambda: boto3.client("ssm"))

    with pytest.raises(SigningKeyUnavailable, match=message) as raised:
        keys.derive("review")
    assert value not in str(raised.value)


def test_no_parameter_named_or_none_there_is_unavailable(aws_endpoint: str) -> None:
    with pytest.raises(SigningKeyUnavailable, match="LETTERBOX_SIGNING_KEY_PARAMETER is not set"):
        SigningKeys("", lambda: boto3.client("ssm")).derive("altcha")
    with pytest.raises(SigningKeyUnavailable, match="ParameterNotFound"):
        SigningKeys("/letterbox/none/signing-key", lambda: boto3.client("ssm")).derive("altcha")


def test_an_unknown_purpose_is_a_programming_error(aws_endpoint: str) -> None:
    with pytest.raises(ValueError, match="unknown signing purpose"):
        SigningKeys(put_signing_key("keys-purpose"), lambda: boto3.client("ssm")).derive("anything")
