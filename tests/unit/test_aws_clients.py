"""The botocore clients: S3's endpoint resolved once per bucket, and a short fixed User-Agent."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import botocore
import pytest
from botocore.stub import Stubber

from chalicelib.core import aws


def _references(rules: Any) -> set[str]:
    """Every parameter a ruleset's rules read ({"ref": name}), wherever they nest."""
    if isinstance(rules, dict):
        found = {rules["ref"]} if isinstance(rules.get("ref"), str) else set()
        return found.union(*(_references(value) for value in rules.values()))
    if isinstance(rules, list):
        return set().union(*(_references(item) for item in rules))
    return set()


def test_the_s3_endpoint_rules_read_none_of_the_parameters_left_out() -> None:
    # Fails the day the rules start reading one of them: then it must be passed again.
    [path] = Path(botocore.__file__).parent.glob("data/s3/*/endpoint-rule-set-1.json.gz")
    ruleset = json.loads(gzip.decompress(path.read_bytes()))

    assert set(ruleset["parameters"]) >= aws.UNUSED_S3_ENDPOINT_PARAMS
    assert not aws.UNUSED_S3_ENDPOINT_PARAMS & _references(ruleset["rules"])


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "k",
        "AWS_SECRET_ACCESS_KEY": "s",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    aws.forget()
    yield aws.client("s3")
    aws.forget()


def test_puts_of_many_objects_to_one_bucket_evaluate_the_endpoint_rules_once(s3: Any) -> None:
    ruleset = s3._ruleset_resolver._provider.ruleset
    evaluated: list[dict[str, Any]] = []
    original = ruleset.evaluate

    def counting(params: dict[str, Any]) -> Any:
        evaluated.append(dict(params))
        return original(params)

    ruleset.evaluate = counting
    with Stubber(s3) as stub:
        for index in range(20):
            stub.add_response("put_object", {"ETag": '"e"'})
            s3.put_object(Bucket="letterbox-cache-test", Key=f"submissions/f/{index}.json", Body=b"{}")

    assert len(evaluated) == 1
    assert "Key" not in evaluated[0]
    assert evaluated[0]["Bucket"] == "letterbox-cache-test"


def test_every_request_carries_the_same_short_user_agent(s3: Any) -> None:
    # The header botocore writes on each request, and again when it re-signs a retry.
    assert s3._user_agent_creator.to_string() == "letterbox"
