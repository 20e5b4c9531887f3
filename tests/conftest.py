"""Shared fixtures: the local AWS (moto in server mode, over HTTP) and hCaptcha's stand-in."""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
import pytest
from moto.server import ThreadedMotoServer

from chalicelib import runtime
from chalicelib.core import aws
from devstack.infra import apply_template
from devstack.siteverify import SiteverifyServer
from devstack.stack import temporary_env

if TYPE_CHECKING:
    from tests.iam_simulator import CallRecorder

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"
TEST_SITEKEY = "10000000-ffff-ffff-ffff-000000000001"
TEST_SECRET = "0x0000000000000000000000000000000000000000"
TEST_TOKEN = "10000000-aaaa-bbbb-cccc-000000000001"
CAMPAIGN_ORIGIN = "https://campaign.example"
OTHER_CAMPAIGN_ORIGIN = "https://www.campaign.example"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first: with a worker per core (make test) they run beside the others, not after them."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def aws_endpoint() -> Iterator[str]:
    """moto in server mode; boto3 reaches it through AWS_ENDPOINT_URL, as it would reach AWS."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    with temporary_env(_aws_env(endpoint)):
        yield endpoint
    server.stop()


def _aws_env(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_SESSION_TOKEN": "testing",
    }


@pytest.fixture(scope="session")
def stack(aws_endpoint: str) -> dict[str, str]:
    """The infra template's resources, created on the local AWS the way `make dev` creates them."""
    return apply_template(TEMPLATE, {"Stage": "test"})


@pytest.fixture(scope="session")
def siteverify() -> Iterator[SiteverifyServer]:
    server = SiteverifyServer().start()
    yield server
    server.stop()


@pytest.fixture
def app_env(
    stack: dict[str, str], siteverify: SiteverifyServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """The API's settings for one test; change them with monkeypatch, then call runtime.reset()."""
    siteverify.state.failing_status = None
    env = {
        "LETTERBOX_STAGE": "dev",
        "LETTERBOX_LOCAL": "1",  # the test keys below are accepted on the local stack only
        "LETTERBOX_BUCKET": stack["BucketName"],
        "LETTERBOX_ORIGINS": f"{CAMPAIGN_ORIGIN} {OTHER_CAMPAIGN_ORIGIN}",
        "HCAPTCHA_SITEKEY": TEST_SITEKEY,
        "HCAPTCHA_SECRET": TEST_SECRET,
        "HCAPTCHA_VERIFY_URL": siteverify.url,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("LETTERBOX_CAPTCHA", "LETTERBOX_FORM_OPTIONS", "LETTERBOX_MAX_BODY_BYTES", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    runtime.reset()
    yield env
    runtime.reset()


@pytest.fixture
def s3(aws_endpoint: str) -> Any:
    return boto3.client("s3")


# /moto-api/data.json serializes everything the server holds: slow once a session has stored a lot.
MOTO_STATE_TIMEOUT = 60


def ses_raw_messages(aws_endpoint: str) -> list[dict[str, Any]]:
    """What the local SES accepted, oldest first: moto's state, read over HTTP."""
    with urllib.request.urlopen(f"{aws_endpoint}/moto-api/data.json", timeout=MOTO_STATE_TIMEOUT) as answer:
        messages: list[dict[str, Any]] = json.load(answer).get("ses", {}).get("RawMessage", [])
    return messages


def ses_emails(aws_endpoint: str) -> list[EmailMessage]:
    """The local SES's accepted emails, parsed."""
    return [message_from_bytes(m["raw_data"].encode(), policy=policy.default) for m in ses_raw_messages(aws_endpoint)]


def stored_objects(s3: Any, bucket: str, prefix: str) -> list[str]:
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for item in listing.get("Contents", [])]


@pytest.fixture
def recorder(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CallRecorder]:
    """Records what the application's clients call; the test's own calls go through another session."""
    from tests.iam_simulator import CallRecorder  # it imports the deploy fakes, which import this module

    session = botocore.session.get_session()
    calls = CallRecorder()
    session.register("before-parameter-build", calls)  # type: ignore[arg-type]  # botocore passes params=, model= by name
    # chalicelib.core.aws makes its session with this call, again after every runtime.reset().
    monkeypatch.setattr(aws, "_new_session", lambda: session)
    runtime.reset()
    yield calls
    runtime.reset()
