"""What the organizers receive for generated submissions: S3 -> SQS -> the notify handler -> SES.

Each example submits through the API (held to every invariant of checks.py), lets the worker
`make dev` runs hand the real SQS records to the notify handler, and reads the email back from the
local SES as raw bytes. Every email must parse with email.policy.default, carry exactly the
intended headers at the top and in each part, and show each submitted text in its text part, as
the API stored it; nothing submitted may reach a log line of the handler either.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.request
from collections import Counter
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from html import escape
from typing import Any
from urllib.error import HTTPError

import boto3
import pytest
from chalice.test import Client
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from app import notify
from devstack.worker import QueueWorker
from tests.conftest import ses_raw_messages
from tests.fuzz.checks import FuzzBucket, check_answer, check_cpu, check_logs, record_cpu, send
from tests.fuzz.conftest import ORGANIZERS, SENDER, budget
from tests.fuzz.strategies import (
    ATTACK_TEXT,
    ENCODED_WORDS,
    FORMS,
    JSON_TYPE,
    NAUGHTY_TEXT,
    ORIGINS,
    SCHEMAS,
    FuzzRequest,
    expected_json_data,
    free_text,
    json_body,
    mostly,
    strings_in,
    submissions,
    text_fields,
)

TOP_LEVEL = Counter(
    dict.fromkeys(
        (
            "from",
            "to",
            "subject",
            "date",
            "message-id",
            "mime-version",
            "content-type",
            "x-letterbox-submission",
            "x-letterbox-form",
        ),
        1,
    )
)
# Each part's headers: those it must have, and those the email package may add (MIME-Version in
# the parts add_alternative and add_attachment create), each once at most.
PART_HEADERS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "multipart": (frozenset({"content-type"}), frozenset()),
    "text/plain": (frozenset({"content-type", "content-transfer-encoding"}), frozenset({"mime-version"})),
    "text/html": (frozenset({"content-type", "content-transfer-encoding"}), frozenset({"mime-version"})),
    "attachment": (
        frozenset({"content-type", "content-transfer-encoding", "content-disposition"}),
        frozenset({"mime-version"}),
    ),
}
FILE_TYPES = ("application/pdf", "image/png", "image/jpeg")
FILE_NAMES = mostly(
    st.builds("{}.pdf".format, free_text(60)),
    st.one_of(
        NAUGHTY_TEXT,
        ATTACK_TEXT,
        ENCODED_WORDS.map("{}.pdf".format),
        st.sampled_from(
            ("../../etc/passwd", "C:\\Users\\a\\скан.pdf", "a/b/c.pdf", "=?utf-8?q?a=0D=0AX-Evil:_1?=.pdf")
        ),
        st.integers(190, 260).map(lambda n: "я" * n + ".pdf"),
    ),
    2,
)


class SentEmails:
    """The local SES's raw messages, read over HTTP as the outbox does; only new ones are parsed."""

    def __init__(self, aws_endpoint: str) -> None:
        self._aws_endpoint = aws_endpoint
        self._seen = len(self._raw())

    def _raw(self) -> list[dict[str, Any]]:
        return ses_raw_messages(self._aws_endpoint)

    def new(self) -> list[bytes]:
        raw = self._raw()
        fresh = [message["raw_data"].encode("utf-8", "surrogateescape") for message in raw[self._seen :]]
        self._seen = len(raw)
        return fresh


@pytest.fixture
def worker(client: Client, fuzz_stack: dict[str, str]) -> QueueWorker:
    return QueueWorker(boto3.client("sqs"), fuzz_stack["NotifyQueueName"], notify, None, wait_seconds=0)


@pytest.fixture
def sent(client: Client, aws_endpoint: str) -> SentEmails:
    return SentEmails(aws_endpoint)


def drain(worker: QueueWorker, label: str) -> None:
    """Batches until the queue is empty (a failing record is retried at once, up to its dead-letter)."""
    for _ in range(12):
        start = time.thread_time()
        received = worker.run_once()
        record_cpu(label, time.thread_time() - start)
        if received == 0:
            return
    raise AssertionError("the notify queue is not empty after 12 batches")


def queue_depth(url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def reply_to_address(data: dict[str, Any], form: str) -> str | None:
    """The Reply-To the email must carry: the reply-to field's address if it is a valid one as it is.

    Valid: email-validator's syntax check (no DNS), an address ASCII can carry (no SMTPUTF8 for raw
    SES messages; a Unicode domain travels as IDNA), and no RFC 2047 encoded word in it.
    """
    field = SCHEMAS[form].get("x-letterbox", {}).get("reply_to")
    address = data.get(field) if isinstance(field, str) else None
    if not isinstance(address, str) or "=?" in address:
        return None
    try:
        valid = validate_email(address, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        return None
    return valid.ascii_email


def part_kind(part: Message) -> str:
    if part.get_content_maintype() == "multipart":
        return "multipart"
    if part.get_content_disposition() == "attachment":
        return "attachment"
    return part.get_content_type()


def check_email(raw: bytes, record: dict[str, Any], files: dict[str, bytes], context: str) -> None:
    email = message_from_bytes(raw, policy=policy.default)
    assert isinstance(email, EmailMessage)
    where = f"email for {context}\n{raw[:3000]!r}"
    assert not email.defects, f"defects {email.defects} in the {where}"
    data: dict[str, Any] = record["data"]
    expected = Counter(TOP_LEVEL)
    reply_to = reply_to_address(data, record["form"])
    if reply_to is not None:
        expected["reply-to"] = 1
    found = Counter(name.lower() for name in email)
    assert found == expected, f"top-level headers {sorted(found.items())}, meant {sorted(expected.items())}: {where}"
    assert [a.addr_spec for a in email["From"].addresses] == [SENDER], where
    assert [a.addr_spec for a in email["To"].addresses] == list(ORGANIZERS), where
    if reply_to is not None:
        assert [a.addr_spec for a in email["Reply-To"].addresses] == [reply_to], where
    assert email["X-Letterbox-Submission"] == record["id"], where
    assert email["X-Letterbox-Form"] == record["form"], where
    for name in ("Subject", "X-Letterbox-Submission", "X-Letterbox-Form"):
        assert not set(str(email[name])) & set("\r\n"), where
    # Read back, the subject is the text as typed (one line), never an encoded word to decode again.
    assert "=?" not in str(email["Subject"]), where
    for index, part in enumerate(email.walk()):
        if index == 0:
            continue
        required, optional = PART_HEADERS[part_kind(part)]
        names = Counter(name.lower() for name in part)
        assert all(count == 1 for count in names.values()), f"part {index} headers {names}: {where}"
        assert required <= set(names) <= required | optional, f"part {index} headers {sorted(names)}: {where}"
        if part.defects:
            raise AssertionError(f"part {index} defects {part.defects}: {where}")
    text_part = email.get_body(("plain",))
    html_part = email.get_body(("html",))
    assert text_part is not None, where
    assert html_part is not None, where
    plain, html = text_part.get_content(), html_part.get_content()
    for name in (*sorted(text_fields(record["form"])), "email", "date", "date_sent"):
        value = data.get(name)
        if not isinstance(value, str):
            continue
        assert value.replace("\n", "\n    ") in plain, f"{name}={value!r} is not in the text part: {where}"
        for line in value.split("\n"):
            assert escape(line) in html, f"{name} line {line!r} is not in the HTML part: {where}"
    for link in data.get("links", []):
        assert link in plain, f"link {link!r} is not in the text part: {where}"
    if isinstance(data.get("participants"), int):
        assert f"    {data['participants']}\n" in plain, f"participants={data['participants']} not shown: {where}"
    assert "<script" not in html.lower(), where
    assert 'href="javascript:' not in html.lower(), where
    attached = [(part.get_filename(), part.get_content()) for part in email.iter_attachments()]
    assert sorted(content for _, content in attached) == sorted(files.values()), f"attachments differ: {where}"
    stored_names = [attachment["name"] for attachment in record["attachments"]]
    for shown, _ in attached:
        assert shown is not None, where
        # U+200B is how the renderer splits an encoded word's "=?": the one invisible character allowed.
        assert shown.replace("\u200b", "").isprintable(), f"file name {shown!r}: {where}"
        assert "=?" not in shown, f"file name {shown!r}: {where}"
        assert len(shown) <= 200, f"file name {shown!r}: {where}"
        visible = unquoted(" ".join(shown.replace("\u200b", "").split()).rstrip("\u2026"))
        assert any(unquoted(" ".join(name.split())).startswith(visible) for name in stored_names), (
            f"file name {shown!r} is none of {stored_names}: {where}"
        )


def unquoted(name: str) -> str:
    """A name as get_filename() reads it: email.utils.unquote drops one pair of enclosing "" or <>.

    (The bytes sent keep them: filename="\\"a\\"". Only Python's reader loses them, so do both sides here.)
    """
    if len(name) >= 2 and (name[0], name[-1]) in (('"', '"'), ("<", ">")):
        return name[1:-1]
    return name


def upload(client: Client, form: str, name: str, content: bytes, content_type: str) -> str | None:
    """Ask for a presigned POST and upload through it, as the embed does; the upload id (None if refused)."""
    grant = client.http.post(
        f"/forms/{form}/uploads",
        headers={"Content-Type": JSON_TYPE, "Origin": ORIGINS[0]},
        body=json.dumps({"name": name, "type": content_type, "size": len(content)}).encode("utf-8", "surrogatepass"),
    )
    assert grant.status_code < 500, f"{grant.status_code} for an upload named {name!r}: {grant.body[:500]!r}"
    if grant.status_code != 201:
        return None
    answer = json.loads(grant.body)
    fields = {**answer["fields"], "Content-Type": content_type}
    boundary = "----fuzz" + secrets.token_hex(8)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        answer["url"],
        data=b"".join(parts),
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status in (200, 201, 204)
    except HTTPError as error:
        raise AssertionError(f"the presigned POST for {name!r} answered {error.code}") from None
    return str(answer["upload_id"])


@st.composite
def notified_submissions(draw: st.DrawFn) -> tuple[str, dict[str, Any], list[tuple[str, str, bytes]]]:
    """A submission a person could send (hostile text included), and the files to upload first."""
    form = draw(st.sampled_from(FORMS))
    data = draw(submissions(form, hostile_rate=0))
    files = []
    if draw(st.integers(0, 2)) == 1:
        for index in range(draw(st.integers(1, 2))):
            content = b"%PDF-1.4\n" + bytes([index]) * draw(st.integers(1, 64)) + b"\n%%EOF\n"
            files.append((draw(FILE_NAMES), draw(st.sampled_from(FILE_TYPES)), content))
    return form, data, files


@pytest.mark.slow  # about a minute: every example goes through the local SES and is parsed
def test_every_email_parses_with_exactly_the_intended_headers_and_shows_what_was_sent(
    client: Client,
    bucket: FuzzBucket,
    worker: QueueWorker,
    sent: SentEmails,
    fuzz_stack: dict[str, str],
    logs: pytest.LogCaptureFixture,
) -> None:
    label = "JSON, then notified"
    outcomes: Counter[str] = Counter()

    @settings(max_examples=budget(1.25))
    @given(notified_submissions())
    def run(example: tuple[str, dict[str, Any], list[tuple[str, str, bytes]]]) -> None:
        form, data, files = example
        submitted = (*strings_in(data), *(name for name, _, _ in files))  # not the upload ids: the API's own
        uploaded = {}
        for name, content_type, content in files:
            upload_id = upload(client, form, name, content, content_type)
            if upload_id is not None:
                uploaded[upload_id] = content
        if uploaded:
            data = {**data, "attachments": list(uploaded)}
        request = FuzzRequest(
            form=form,
            headers={"Content-Type": JSON_TYPE, "Origin": ORIGINS[0]},
            body=json_body(data, True, True),
            kind="json",
            submitted=submitted,
            expected_data=expected_json_data(form, data),
        )
        before = set(bucket.known)
        logs.clear()
        answer = check_answer(request, send(client, request, label), bucket, before, list(logs.records))
        try:
            if answer.submission_id is None:
                outcomes[f"refused {answer.status}"] += 1
                return
            record = bucket.record(str(answer.stored_key))
            logs.clear()
            drain(worker, "notify batches (reported, not held to 50 ms)")
            check_logs(list(logs.records), request.submitted, [bucket.name, *answer.stored, form], request.describe())
            emails = [raw for raw in sent.new() if f"X-Letterbox-Submission: {answer.submission_id}".encode() in raw]
            assert len(emails) == 1, f"{len(emails)} emails for {request.describe()}"
            assert queue_depth(fuzz_stack["DeadLetterQueueUrl"]) == 0, f"dead-lettered: {request.describe()}"
            check_email(emails[0], record, uploaded, request.describe())
            outcomes["mailed with files" if uploaded else "mailed"] += 1
        finally:
            bucket.empty()
            bucket.known = set()

    run()
    check_cpu(label)
    assert outcomes["mailed"] > 0, outcomes
    assert outcomes["mailed with files"] > 0, outcomes
