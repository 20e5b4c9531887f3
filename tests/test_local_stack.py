"""`make dev`'s stack, driven over real HTTP: chalice local, moto server, the siteverify stand-in."""

from __future__ import annotations

import json
import logging
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.client import HTTPResponse
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from devstack.stack import LocalStack, Ports
from devstack.worker import Outbox
from tests.conftest import TEST_TOKEN, free_port, ses_raw_messages


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
    s3 = boto3.client("s3", endpoint_url=local_stack.aws_url, **_credentials())  # type: ignore[call-overload]
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


# A day of action: a crowd at once, and an outbox that keeps up ------------------------------------

ACTION_REPORT = {
    "kind": "picket",
    "date": "2026-11-14",
    "city": "Vilnius",
    "country": "Lithuania",
    "description": "Twenty people outside the embassy for an hour.",
    "h-captcha-response": TEST_TOKEN,
}
CROWD = 50


def post_report(stack: LocalStack, timeout: float = 30) -> tuple[int, str]:
    """POST one action report; the status and the id answered (or the error, for a refused connection)."""
    try:
        answer = request(
            f"{stack.api_url}/forms/action-report/submissions",
            json.dumps(ACTION_REPORT).encode(),
            {"Content-Type": "application/json", "Origin": stack.demo_origins[0], "Accept": "application/json"},
        )
        with answer:
            body = answer.read()
        if answer.status != 201:
            return answer.status, body.decode(errors="replace")[:300]
        return answer.status, str(json.loads(body)["id"])
    except OSError as error:  # what a crowd met: Connection reset by peer
        return 0, f"{type(error).__name__}: {error}"


def stored_submission_ids(stack: LocalStack) -> set[str]:
    s3 = boto3.client("s3", endpoint_url=stack.aws_url, **_credentials())  # type: ignore[call-overload]
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=stack.outputs["BucketName"], Prefix="submissions/action-report/"
    )
    return {item["Key"].rsplit("/", 1)[-1].removesuffix(".json") for page in pages for item in page.get("Contents", [])}


def test_each_email_in_the_outbox_is_what_the_local_ses_accepted_and_is_written_without_reading_it_back(
    local_stack: LocalStack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="werkzeug")  # the local AWS's access log: every request it answers
    status, submission_id = post_report(local_stack)
    assert status == 201
    eml = local_stack.outbox / f"{submission_id}.eml"

    # The worker spaces its sends (LETTERBOX_SEND_RATE): the earlier tests' emails may go first.
    deadline = time.monotonic() + 60
    while not eml.exists() and time.monotonic() < deadline:
        time.sleep(0.05)

    assert eml.exists(), f"no {eml.name} in the outbox within 60 s"
    # The server logs a request once it has answered: the send's line may follow the file by a moment.
    while not any("/v2/email/outbound-emails" in line for line in access_log(caplog)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any("/v2/email/outbound-emails" in line for line in access_log(caplog))
    assert not any("/moto-api/data.json" in line for line in access_log(caplog))
    accepted = ses_raw_messages(local_stack.aws_url)
    [raw] = [m["raw_data"] for m in accepted if f"X-Letterbox-Submission: {submission_id}" in m["raw_data"]]
    assert eml.read_bytes() == raw.encode()
    lines = [line for line in local_stack.log_path.read_text().splitlines() if submission_id in line]  # type: ignore[attr-defined]
    assert f"email sent form=action-report id={submission_id} recipients=1" in lines
    assert not any("Twenty people" in line or "Vilnius" in line for line in lines)


@pytest.fixture
def crowd_stack(tmp_path: Path) -> Iterator[LocalStack]:
    """A stack of its own: moto's state is the process's, and the crowd's 50 emails, paced by the worker,
    would otherwise queue ahead of every later test's. They are not under test here: sent quickly."""
    ports = Ports(aws=free_port(), captcha=free_port(), api=free_port(), demo=free_port())
    stack = LocalStack(
        ports, outbox=tmp_path / "outbox", resources="dev-crowd", overrides={"LETTERBOX_SEND_RATE": "1000"}
    )
    with (tmp_path / "stack.log").open("wb") as log, stack:
        stack.start(output=log.fileno())
        yield stack


def test_fifty_clients_posting_at_once_are_all_answered_and_stored(crowd_stack: LocalStack) -> None:
    start = threading.Barrier(CROWD, timeout=30)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def client() -> None:
        try:
            start.wait()
        except threading.BrokenBarrierError:
            return
        answer = post_report(crowd_stack)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=client) for _ in range(CROWD)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    refused = [detail for status, detail in answers if status != 201]
    assert not refused, f"{len(refused)} of {CROWD} not answered 201: {refused[:3]}"
    ids = {submission_id for _, submission_id in answers}
    assert len(answers) == CROWD
    assert len(ids) == CROWD
    assert ids <= stored_submission_ids(crowd_stack)


def access_log(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "werkzeug"]


class _StubbedSes:
    """A real botocore SES v2 client whose answers come from botocore's Stubber: no network at all."""

    def __init__(self) -> None:
        session = botocore.session.get_session()
        self.client: Any = session.create_client(
            "sesv2", region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local"
        )
        self.stubber = Stubber(self.client)
        self.stubber.activate()

    def send(self, raw: bytes) -> None:
        self.client.send_email(
            FromEmailAddress="letterbox@example.org",
            Destination={"ToAddresses": ["organizers@example.org"]},
            Content={"Raw": {"Data": raw}},
        )


def test_the_outbox_writes_what_ses_accepted_and_nothing_it_refused(tmp_path: Path) -> None:
    ses = _StubbedSes()
    outbox = Outbox(tmp_path / "outbox", ses=lambda: ses.client)
    outbox.listen()
    outbox.listen()  # once per client, however often the worker asks
    accepted = b"X-Letterbox-Submission: 01ACCEPTED\r\nX-Letterbox-Form: action-report\r\nTo: a@example.org\r\n\r\nhi"
    refused = b"X-Letterbox-Submission: 01REFUSED\r\n\r\nno\r\n"
    ses.stubber.add_response("send_email", {"MessageId": "ses-1"})
    ses.stubber.add_client_error("send_email", "MessageRejected", "Email address is not verified.", 400)

    ses.send(accepted)
    with pytest.raises(ClientError, match="MessageRejected"):
        ses.send(refused)

    assert outbox.collect() == [tmp_path / "outbox" / "01ACCEPTED.eml"]
    assert (tmp_path / "outbox" / "01ACCEPTED.eml").read_bytes() == accepted
    assert sorted(path.name for path in (tmp_path / "outbox").iterdir()) == ["01ACCEPTED.eml"]
    assert outbox.collect() == []
