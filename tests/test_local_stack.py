"""`make dev`'s stack, driven over real HTTP: chalice local, moto server, the siteverify stand-in."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Iterator
from http.client import HTTPResponse
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode

import boto3
import pytest

from devstack.stack import LocalStack, Ports
from tests.conftest import TEST_TOKEN, free_port


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    log_path = tmp_path_factory.mktemp("stack") / "api.log"
    ports = Ports(aws=free_port(), captcha=free_port(), api=free_port(), demo=free_port())
    with log_path.open("wb") as log, LocalStack(ports) as stack:
        stack.start(output=log.fileno())
        stack.log_path = log_path  # type: ignore[attr-defined]
        yield stack


def request(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> HTTPResponse:
    try:
        return urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers or {}), timeout=10)
    except HTTPError as error:
        return error  # type: ignore[return-value]


def test_a_json_submission_over_http_is_stored_in_the_local_bucket(local_stack: LocalStack) -> None:
    body = {
        "kind": "media",
        "date": "2026-11-01",
        "city": "Vilnius",
        "country": "Lithuania",
        "description": "An article in the evening paper.",
        "h-captcha-response": TEST_TOKEN,
    }
    origin = local_stack.demo_origins[0]

    response = request(
        f"{local_stack.api_url}/forms/action-report/submissions",
        json.dumps(body).encode(),
        {"Content-Type": "application/json", "Origin": origin},
    )

    assert response.status == 201
    assert response.headers["Access-Control-Allow-Origin"] == origin
    submission_id = json.loads(response.read())["id"]
    s3 = boto3.client("s3", endpoint_url=local_stack.aws_url, **_credentials())
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=local_stack.outputs["BucketName"])["Contents"]]
    assert any(key.endswith(f"/{submission_id}.json") for key in keys)
    console = local_stack.log_path.read_text()  # type: ignore[attr-defined]
    assert f"submission stored form=action-report id={submission_id}" in console
    assert "Vilnius" not in console
    assert "evening paper" not in console


def test_a_plain_html_form_post_follows_the_redirect_to_the_thank_you_page(local_stack: LocalStack) -> None:
    fields = {
        "addressee_kind": "prosecutor",
        "addressee": "Prosecutor General",
        "channel": "post",
        "date_sent": "2026-11-02",
        "language": "English",
        "subject": "Release them",
        "text": "Dear Sir,",
        "h-captcha-response": TEST_TOKEN,
    }

    # urllib follows the 303 with a GET, as a browser does.
    response = request(
        f"{local_stack.api_url}/forms/letter-copy/submissions",
        urlencode(fields).encode(),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept-Language": "ru",
            "Origin": local_stack.demo_origins[0],
        },
    )

    assert response.status == 200
    assert response.url.startswith(f"{local_stack.api_url}/forms/letter-copy/thanks?lang=ru")
    assert "Спасибо" in response.read().decode()


def test_the_readme_curl_example_works_as_printed(local_stack: LocalStack) -> None:
    readme = (local_stack_root() / "README.md").read_text()
    example = readme.split("<!-- curl-example -->")[1].split("```")[1].removeprefix("sh\n")
    command = example.replace("http://127.0.0.1:8000", local_stack.api_url)

    result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=30, check=False)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["form"] == "action-report"


def local_stack_root() -> Path:
    from devstack.stack import ROOT

    return ROOT


def _credentials() -> dict[str, str]:
    return {"aws_access_key_id": "local", "aws_secret_access_key": "local", "region_name": "us-east-1"}
