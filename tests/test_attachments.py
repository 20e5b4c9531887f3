"""Attachments: presigned POST straight to S3, checked again at submit, carried in the email."""

from __future__ import annotations

import base64
import json
import secrets
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.error import HTTPError

import boto3
import pytest
from chalice.test import Client

from app import app, notify
from chalicelib import runtime
from devstack.infra import apply_template
from devstack.worker import Outbox, QueueWorker
from tests.conftest import CAMPAIGN_ORIGIN, TEMPLATE, TEST_TOKEN, ses_emails

SENDER = "letterbox@example.org"
LETTER = {
    "addressee_kind": "court",
    "addressee": "Тверской районный суд",
    "channel": "fax",
    "date_sent": "2026-11-20",
    "language": "Russian",
    "subject": "О незаконном задержании",
    "text": "Уважаемый суд!",
    "h-captcha-response": TEST_TOKEN,
}
PDF = b"%PDF-1.4\n" + secrets.token_bytes(2048) + b"\n%%EOF\n"


@pytest.fixture(scope="module")
def files_stack(aws_endpoint: str) -> dict[str, str]:
    return apply_template(TEMPLATE, {"Stage": "files", "SenderAddress": SENDER})


@pytest.fixture
def client(app_env: dict[str, str], files_stack: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    sqs = boto3.client("sqs")
    sqs.purge_queue(QueueUrl=files_stack["NotifyQueueUrl"])
    monkeypatch.setenv("LETTERBOX_BUCKET", files_stack["BucketName"])
    monkeypatch.setenv("LETTERBOX_SENDER", SENDER)
    monkeypatch.setenv("LETTERBOX_ORGANIZERS", "organizers@example.org")
    monkeypatch.setenv("LETTERBOX_RETRY_DELAY_SECONDS", "0")
    runtime.reset()
    with Client(app, stage_name="test") as test_client:
        yield test_client
    runtime.reset()


@pytest.fixture
def worker(client: Client, files_stack: dict[str, str], aws_endpoint: str, tmp_path: Path) -> QueueWorker:
    outbox = Outbox(tmp_path / "outbox", aws_endpoint)
    outbox.collect()
    return QueueWorker(boto3.client("sqs"), files_stack["NotifyQueueName"], notify, outbox, wait_seconds=0)


def ask_upload(
    client: Client, name: str, content_type: str, size: int, form: str = "letter-copy", **headers: str
) -> Any:
    return client.http.post(
        f"/forms/{form}/uploads",
        headers={"Content-Type": "application/json", "Origin": CAMPAIGN_ORIGIN, **headers},
        body=json.dumps({"name": name, "type": content_type, "size": size}),
    )


def upload(
    client: Client,
    name: str,
    content: bytes,
    content_type: str = "application/pdf",
    form: str = "letter-copy",
    sent_type: str | None = None,
) -> str:
    """Ask for a presigned POST and upload through it, as the browser does; the upload id."""
    answer = ask_upload(client, name, content_type, len(content), form)
    assert answer.status_code == 201, answer.body
    grant = json.loads(answer.body)
    fields = {**grant["fields"], "Content-Type": sent_type or content_type}
    status = post_multipart(grant["url"], fields, name, content, sent_type or content_type)
    assert status in (200, 201, 204)
    return str(grant["upload_id"])


def post_multipart(url: str, fields: dict[str, str], name: str, content: bytes, content_type: str) -> int:
    boundary = "----letterbox" + secrets.token_hex(8)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    # S3 takes the file last, in a field named "file".
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        url, data=b"".join(parts), method="POST", headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except HTTPError as error:
        return int(error.code)


def submit(client: Client, data: dict[str, Any], form: str = "letter-copy") -> Any:
    return client.http.post(
        f"/forms/{form}/submissions",
        headers={"Content-Type": "application/json", "Origin": CAMPAIGN_ORIGIN},
        body=json.dumps(data),
    )


def stored_record(bucket: str, submission_id: str) -> dict[str, Any]:
    s3 = boto3.client("s3")
    [key] = [
        item["Key"]
        for item in s3.list_objects_v2(Bucket=bucket, Prefix="submissions/")["Contents"]
        if item["Key"].endswith(f"/{submission_id}.json")
    ]
    return dict(json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))


def sent_email(aws_endpoint: str, submission_id: str) -> EmailMessage:
    [email] = [m for m in ses_emails(aws_endpoint) if m["X-Letterbox-Submission"] == submission_id]
    assert isinstance(email, EmailMessage)
    return email


def drain(worker: QueueWorker) -> None:
    for _ in range(10):
        if worker.run_once() == 0:
            return
    raise AssertionError("queue not empty")


def test_a_real_upload_through_the_presigned_post_lands_in_the_bucket(
    client: Client, files_stack: dict[str, str]
) -> None:
    upload_id = upload(client, "скан письма.pdf", PDF)

    head = boto3.client("s3").head_object(Bucket=files_stack["BucketName"], Key=f"uploads/letter-copy/{upload_id}")
    assert head["ContentLength"] == len(PDF)
    assert head["ContentType"] == "application/pdf"


def test_the_presigned_policy_limits_size_type_key_and_time(client: Client, files_stack: dict[str, str]) -> None:
    answer = ask_upload(client, "scan.pdf", "application/pdf", 1000)

    grant = json.loads(answer.body)
    policy_doc = json.loads(base64.b64decode(grant["fields"]["policy"]))
    conditions = policy_doc["conditions"]
    assert ["content-length-range", 1, 10 * 1024 * 1024] in conditions
    assert {"Content-Type": "application/pdf"} in conditions
    assert {"key": f"uploads/letter-copy/{grant['upload_id']}"} in conditions
    assert {"bucket": files_stack["BucketName"]} in conditions
    expires = datetime.fromisoformat(policy_doc["expiration"].replace("Z", "+00:00"))
    assert timedelta(minutes=9) < expires - datetime.now(UTC) <= timedelta(minutes=10)
    assert answer.headers["Access-Control-Allow-Origin"] == CAMPAIGN_ORIGIN


@pytest.mark.parametrize(
    ("name", "content_type", "size", "field", "text"),
    [
        ("page.html", "text/html", 100, "/type", "not accepted"),
        ("huge.pdf", "application/pdf", 11 * 1024 * 1024, "/size", "larger than 10 MB"),
        ("", "application/pdf", 100, "/name", "required"),
        ("zero.pdf", "application/pdf", 0, "/size", "not accepted"),
    ],
)
def test_an_upload_the_form_does_not_allow_is_refused_before_any_grant(
    client: Client, name: str, content_type: str, size: int, field: str, text: str
) -> None:
    answer = ask_upload(client, name, content_type, size)

    assert answer.status_code == 422
    [error] = json.loads(answer.body)["errors"]
    assert error["field"] == field
    assert text in error["message"]


def test_uploads_are_refused_from_other_sites(client: Client) -> None:
    assert ask_upload(client, "a.pdf", "application/pdf", 10, Origin="https://evil.example").status_code == 403


def test_an_accepted_attachment_is_kept_with_the_submission_and_mailed_intact(
    client: Client, worker: QueueWorker, files_stack: dict[str, str], aws_endpoint: str
) -> None:
    photo = b"\x89PNG\r\n\x1a\n" + secrets.token_bytes(4096)
    ids = [upload(client, "скан факса.pdf", PDF), upload(client, "photo.png", photo, "image/png")]

    answer = submit(client, {**LETTER, "attachments": ids})

    assert answer.status_code == 201, answer.body
    submission_id = json.loads(answer.body)["id"]
    record = stored_record(files_stack["BucketName"], submission_id)
    assert [(a["name"], a["type"], a["size"]) for a in record["attachments"]] == [
        ("скан факса.pdf", "application/pdf", len(PDF)),
        ("photo.png", "image/png", len(photo)),
    ]
    assert all(a["key"].startswith(f"attachments/{submission_id}/") for a in record["attachments"])
    drain(worker)
    email = sent_email(aws_endpoint, submission_id)
    attached = {part.get_filename(): part.get_content() for part in email.iter_attachments()}
    assert attached == {"скан факса.pdf": PDF, "photo.png": photo}
    text = email.get_body(("plain",))
    assert text is not None
    assert "2 files attached to this email." in text.get_content()


def test_a_set_over_ten_megabytes_is_linked_not_attached(
    client: Client, worker: QueueWorker, aws_endpoint: str
) -> None:
    big = b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024)
    ids = [upload(client, "first.pdf", big), upload(client, "second.pdf", big)]

    submission_id = json.loads(submit(client, {**LETTER, "attachments": ids}).body)["id"]
    drain(worker)

    email = sent_email(aws_endpoint, submission_id)
    assert list(email.iter_attachments()) == []
    text = email.get_body(("plain",))
    assert text is not None
    plain = text.get_content()
    assert "too large to attach (12.0 MB in all). Download them within 7 days" in plain
    assert plain.count("X-Amz-Expires=604800") == 2


def test_metadata_only_mode_sends_no_files_and_no_links(
    client: Client, worker: QueueWorker, aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LETTERBOX_FORM_OPTIONS", json.dumps({"letter-copy": {"metadata_only": True}}))
    runtime.reset()
    upload_id = upload(client, "scan.pdf", PDF)

    submission_id = json.loads(submit(client, {**LETTER, "attachments": [upload_id]}).body)["id"]
    drain(worker)

    email = sent_email(aws_endpoint, submission_id)
    assert list(email.iter_attachments()) == []
    assert "X-Amz" not in email.as_string()
    text = email.get_body(("plain",))
    assert text is not None
    assert "1 file is stored with the submission." in text.get_content()


def test_uploads_storage_accepted_but_over_the_limits_are_refused_at_submit(
    client: Client, files_stack: dict[str, str]
) -> None:
    # The local emulator ignores the POST policy; real S3 would have refused both uploads.
    too_big = upload(client, "big.pdf", b"%PDF" + b"0" * 1000, sent_type=None)
    boto3.client("s3").put_object(
        Bucket=files_stack["BucketName"],
        Key=f"uploads/letter-copy/{too_big}",
        Body=b"0" * (10 * 1024 * 1024 + 1),
        ContentType="application/pdf",
    )
    wrong_type = upload(client, "page.pdf", b"<html></html>", sent_type="text/html")
    before = len(
        boto3.client("s3").list_objects_v2(Bucket=files_stack["BucketName"], Prefix="submissions/").get("Contents", [])
    )

    answer = submit(client, {**LETTER, "attachments": [too_big, wrong_type]})

    assert answer.status_code == 422
    assert json.loads(answer.body)["errors"] == [
        {"field": "/attachments/0", "message": "This file is larger than 10 MB."},
        {"field": "/attachments/1", "message": "This type of file is not accepted. Send PDF, JPEG, PNG, WebP or HEIC."},
    ]
    after = len(
        boto3.client("s3").list_objects_v2(Bucket=files_stack["BucketName"], Prefix="submissions/").get("Contents", [])
    )
    assert after == before


def test_a_missing_or_another_forms_upload_is_refused_at_submit(client: Client) -> None:
    other_form = upload(client, "photo.png", b"\x89PNG" + b"1" * 100, "image/png", form="action-report")
    never_uploaded = "01KNEVERSEENNEVERSEEN00000"

    answer = submit(client, {**LETTER, "attachments": [other_form, never_uploaded]}, form="letter-copy")

    assert answer.status_code == 422
    errors = json.loads(answer.body)["errors"]
    assert errors == [
        {"field": "/attachments/0", "message": "This file was not found. Please upload it again."},
        {"field": "/attachments/1", "message": "This file was not found. Please upload it again."},
    ]


def test_more_than_five_attachments_are_refused(client: Client) -> None:
    ids = [f"01KAAAAAAAAAAAAAAAAAAAAAA{n}" for n in range(6)]

    answer = submit(client, {**LETTER, "attachments": ids})

    assert answer.status_code == 422
    assert {"field": "/attachments", "message": "Give at most 5."} in json.loads(answer.body)["errors"]


def test_one_upload_is_kept_by_one_submission_only(client: Client, files_stack: dict[str, str]) -> None:
    upload_id = upload(client, "letter.pdf", PDF)
    first = submit(client, {**LETTER, "attachments": [upload_id]})

    second = submit(client, {**LETTER, "attachments": [upload_id]})

    assert first.status_code == 201
    # The kept copy is the first submission's; the upload itself is gone, so no second copy is made.
    assert second.status_code == 422
    assert json.loads(second.body)["errors"] == [
        {"field": "/attachments/0", "message": "This file was not found. Please upload it again."}
    ]
    left = boto3.client("s3").list_objects_v2(
        Bucket=files_stack["BucketName"], Prefix=f"uploads/letter-copy/{upload_id}"
    )
    assert left.get("Contents", []) == []
