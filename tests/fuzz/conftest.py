"""Hypothesis profiles, and the fuzz suite's own stack on the local AWS.

HYPOTHESIS_PROFILE picks the profile ("ci" when unset):
  ci    what `make test` runs: bounded (about a minute on two cores) and reproducible: derandomized,
        no example database, the same examples on every run and every machine;
  deep  what `make fuzz` runs: 25 times the examples, random, every naughty string in every field,
        and the failing examples kept under .pytest_cache/hypothesis, replayed first next time.

Each test asks for a share of the profile's examples (budget()), so both profiles keep the
tests' proportions.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from chalice.test import Client
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import DirectoryBasedExampleDatabase

from app import app
from chalicelib import runtime
from devstack.infra import apply_template
from tests.conftest import CAMPAIGN_ORIGIN, ROOT, TEMPLATE
from tests.fuzz import checks
from tests.fuzz.strategies import JSON_TYPE, plain_submission, submission_path

SENDER = "letterbox@example.org"
ORGANIZERS = ("first@example.org", "second@example.org")
HYPOTHESIS_HOME = ROOT / ".pytest_cache" / "hypothesis"  # ignored by git already, as .pytest_cache is
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
# Function-scoped fixtures are shared by a test's examples on purpose (each example empties the
# bucket itself); large bodies are what this suite is for.
HEALTH_CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]

set_hypothesis_home_dir(str(HYPOTHESIS_HOME))
settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=HEALTH_CHECKS,
    print_blob=True,
)
settings.register_profile(
    "deep",
    max_examples=1000,
    deadline=None,
    database=DirectoryBasedExampleDatabase(str(HYPOTHESIS_HOME / "examples")),
    suppress_health_check=HEALTH_CHECKS,
    print_blob=True,
)
settings.load_profile(PROFILE)


def budget(share: float) -> int:
    """A test's number of examples: `share` of the profile's max_examples."""
    current = settings.default
    assert current is not None  # a profile is loaded above
    return max(1, round(current.max_examples * share))


FULL_SWEEP = PROFILE == "deep"


@pytest.fixture(scope="session")
def fuzz_stack(aws_endpoint: str) -> dict[str, str]:
    """A bucket and queues of the suite's own: counting objects there counts only this suite's."""
    return apply_template(TEMPLATE, {"Stage": "fuzz", "SenderAddress": SENDER})


@pytest.fixture
def fuzz_env(
    app_env: dict[str, str], fuzz_stack: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    env = {
        "LETTERBOX_BUCKET": fuzz_stack["BucketName"],
        "LETTERBOX_SENDER": SENDER,
        "LETTERBOX_ORGANIZERS": ",".join(ORGANIZERS),
        "LETTERBOX_RETRY_DELAY_SECONDS": "0",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL_SESV2", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    runtime.reset()
    purge_queues(fuzz_stack)
    yield {**app_env, **env}
    runtime.reset()


def purge_queues(stack: dict[str, str]) -> None:
    sqs = boto3.client("sqs")
    for url in (stack["NotifyQueueUrl"], stack["DeadLetterQueueUrl"]):
        sqs.purge_queue(QueueUrl=url)


@pytest.fixture
def bucket(fuzz_env: dict[str, str], fuzz_stack: dict[str, str]) -> checks.FuzzBucket:
    found = checks.FuzzBucket(boto3.client("s3"), fuzz_stack["BucketName"])
    found.empty()
    return found


@pytest.fixture
def client(fuzz_env: dict[str, str], bucket: checks.FuzzBucket, fuzz_stack: dict[str, str]) -> Iterator[Client]:
    """Chalice's test client, warmed: the first request builds clients and validators, a cold start."""
    with Client(app, stage_name="test") as test_client:
        for form in ("action-report", "letter-copy"):
            warm = test_client.http.post(
                submission_path(form),
                headers={"Content-Type": JSON_TYPE, "Origin": CAMPAIGN_ORIGIN},
                body=json_bytes(plain_submission(form)),
            )
            assert warm.status_code == 201, warm.body
        bucket.empty()
        purge_queues(fuzz_stack)
        yield test_client


def json_bytes(data: Any) -> bytes:
    return json.dumps(data).encode()


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record, at DEBUG: the root logger's, and the app's own ("letterbox" does not propagate)."""
    letterbox = logging.getLogger("letterbox")
    level = letterbox.level
    letterbox.addHandler(caplog.handler)
    letterbox.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    try:
        yield caplog
    finally:
        letterbox.removeHandler(caplog.handler)
        letterbox.setLevel(level)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if checks.CPU_SAMPLES:
        terminalreporter.section(f"fuzz: CPU per request (profile {PROFILE})")
        for label in checks.CPU_SAMPLES:
            terminalreporter.write_line(checks.cpu_summary(label))
