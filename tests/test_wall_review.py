"""The emailed review link, end to end on the local AWS: the email carries it, GET shows, POST decides, once."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from chalice.test import Client

from app import app, notify
from chalicelib import runtime
from chalicelib.core import ids, review_tokens, sealing
from chalicelib.core.record import SubmissionRecord
from chalicelib.core.review_tokens import ReviewSubject
from chalicelib.core.signing_keys import PARAMETER_VARIABLE, derived_key
from chalicelib.core.storage import SubmissionStore
from chalicelib.core.wall import decision_key
from devstack.infra import apply_template
from devstack.stack import put_signing_key
from devstack.worker import Outbox, QueueWorker
from letterbox import devstate
from tests.conftest import TEMPLATE
from tests.test_cli_commands import DAY_ONE, REPORT, SENDER, all_versions, empty_bucket, letterbox, store

API_URL = "http://127.0.0.1:8000/api"
ORGANIZERS = "first@campaign.example"
PRIVATE = {"reporter": "Анна Секретова", "email": "anna.secret@example.net"}
SECRETS = ("Анна Секретова", "anna.secret@example.net", "лицо-без-размытия.pdf")
PUBLIC = ("kind", "date", "city", "country", "description", "links")
FORM_POST = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def review_stack(aws_endpoint: str) -> dict[str, str]:
    return apply_template(TEMPLATE, {"Stage": "review", "SenderAddress": SENDER, "Versioning": "Enabled"})


@pytest.fixture
def local(
    review_stack: dict[str, str],
    app_env: dict[str, str],
    aws_endpoint: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """An empty bucket and queue, the API's and notify's settings, and `letterbox --local` pointed at them."""
    bucket = review_stack["BucketName"]
    empty_bucket(bucket)
    boto3.client("sqs").purge_queue(QueueUrl=review_stack["NotifyQueueUrl"])
    state = tmp_path / "letterbox-dev.json"
    devstate.write_state(aws_endpoint, review_stack, state)
    monkeypatch.setenv(devstate.STATE_ENV, str(state))
    settings = {
        "LETTERBOX_BUCKET": bucket,
        "LETTERBOX_SENDER": SENDER,
        "LETTERBOX_ORGANIZERS": ORGANIZERS,
        "LETTERBOX_RETRY_DELAY_SECONDS": "0",
        "LETTERBOX_API_URL": API_URL,
        PARAMETER_VARIABLE: put_signing_key("review"),
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("LETTERBOX_METADATA_ONLY", raising=False)
    runtime.reset()
    yield bucket
    devstate.remove_state(state, aws_endpoint)


@pytest.fixture
def api(local: str) -> Iterator[Client]:
    with Client(app, stage_name="test") as client:
        yield client


@pytest.fixture
def worker(local: str, review_stack: dict[str, str], tmp_path: Path) -> QueueWorker:
    return QueueWorker(boto3.client("sqs"), review_stack["NotifyQueueName"], notify, Outbox(tmp_path / "outbox"), 0)


def report(bucket: str, minutes: int = 0, **changes: Any) -> SubmissionRecord:
    return store(bucket, DAY_ONE + timedelta(minutes=minutes), {**REPORT, **PRIVATE, **changes})


def emailed(worker: QueueWorker, submission_id: str, tmp_path: Path) -> EmailMessage:
    """The organizers' email for one submission, as the local SES accepted it (the outbox's file)."""
    path, deadline = tmp_path / "outbox" / f"{submission_id}.eml", time.monotonic() + 10
    while not path.exists() and time.monotonic() < deadline:
        if worker.run_once() == 0:
            time.sleep(0.05)
    raw = path.read_bytes()
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def parts(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None
    assert html is not None
    return str(text.get_content()), str(html.get_content())


def review_link(worker: QueueWorker, submission_id: str, tmp_path: Path) -> str:
    """The review link of the submission's email, which must have one."""
    path = link_of(emailed(worker, submission_id, tmp_path))
    assert path is not None, "the email has no review link"
    return path


def link_of(message: EmailMessage) -> str | None:
    """The review link's path and query on the API (what the test client requests), from the text part."""
    found = re.findall(rf"{re.escape(API_URL)}/forms/[^\s]+", parts(message)[0])
    if not found:
        return None
    [url] = found
    return url.removeprefix(API_URL)


def token_of(path: str) -> str:
    return urlsplit(path).query.removeprefix("token=")


def post(api: Client, path: str, decision: str, token: str | None = None) -> Any:
    body = f"token={token if token is not None else token_of(path)}&decision={decision}"
    return api.http.post(urlsplit(path).path, headers=FORM_POST, body=body)


def signed_path(record: SubmissionRecord, expires: datetime, form: str = "action-report") -> str:
    subject = ReviewSubject("dev", form, record.id)
    token = review_tokens.sign(derived_key("review"), subject, int(expires.timestamp()))
    return f"/forms/{form}/review/{record.id}?token={token}"


def bucket_state(bucket: str) -> list[tuple[str, str]]:
    return sorted((version["Key"], version.get("VersionId") or "") for version in all_versions(bucket))


def feed_entries(api: Client) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(api.http.get("/forms/action-report/wall").body)["entries"]
    return entries


def test_the_email_of_a_consenting_report_links_to_its_review_in_both_parts(
    local: str, worker: QueueWorker, tmp_path: Path
) -> None:
    record = report(local)

    message = emailed(worker, record.id, tmp_path)

    text, html = parts(message)
    path = link_of(message)
    assert path is not None
    assert path.startswith(f"/forms/action-report/review/{record.id}?token=")
    assert "Public wall:" in text
    expires = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    assert f"the link works once, until {expires}" in text
    assert f'<a href="{API_URL}{path}">' in html
    assert "Public wall" in html


def test_no_link_without_consent_nor_for_an_encrypted_form_nor_for_a_metadata_only_one(
    local: str, worker: QueueWorker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    silent = report(local, 0, consent_publish=False)
    _secret, recipient = sealing.new_identity()
    sealed = SubmissionRecord(
        id=ids.new_submission_id(DAY_ONE + timedelta(minutes=1)),
        form="action-report",
        schema_version="test",
        received_at="2026-11-14T18:04:12.000Z",
        data={"country": "Germany"},
        encrypted=sealing.to_text(sealing.seal({**REPORT, **PRIVATE}, [recipient])),
    )
    SubmissionStore(boto3.client("s3"), local).put(sealed)

    silent_email, sealed_email = emailed(worker, silent.id, tmp_path), emailed(worker, sealed.id, tmp_path)

    assert link_of(silent_email) is None
    assert "Public wall" not in parts(silent_email)[0]
    assert link_of(sealed_email) is None
    assert "/review/" not in parts(sealed_email)[1]
    assert f"letterbox wall approve {sealed.id} --identity key.txt" in parts(sealed_email)[0]
    # Metadata-only: the mailbox is not trusted with the report, so no link shows its public copy.
    monkeypatch.setenv("LETTERBOX_METADATA_ONLY", "true")
    runtime.reset()
    quiet = report(local, 2)
    quiet_email = emailed(worker, quiet.id, tmp_path)
    assert link_of(quiet_email) is None
    assert f"letterbox wall approve {quiet.id}" in parts(quiet_email)[0]


def test_without_an_api_url_the_email_has_the_command_and_no_link(
    local: str, worker: QueueWorker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LETTERBOX_API_URL")
    runtime.reset()
    record = report(local)

    message = emailed(worker, record.id, tmp_path)

    assert link_of(message) is None
    assert "/review/" not in parts(message)[0] + parts(message)[1]
    assert f"letterbox wall pending\n    letterbox wall approve {record.id}" in parts(message)[0]


def test_the_page_shows_only_the_public_copy_and_a_get_changes_nothing(
    local: str, api: Client, worker: QueueWorker, tmp_path: Path
) -> None:
    record = report(local)
    path = review_link(worker, record.id, tmp_path)
    before = bucket_state(local)

    response = api.http.get(path)
    again = api.http.get(path)

    assert response.status_code == again.status_code == 200
    assert bucket_state(local) == before
    page = response.body.decode()
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    policy_header = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy_header
    assert "form-action 'self'" in policy_header
    assert "script" not in policy_header
    assert "unsafe-inline" not in policy_header
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "<script" not in page
    assert "<a " not in page
    assert "Берлин" in page
    assert "Двадцать человек у посольства." in page
    assert "https://example.org/photo" in page
    for secret in SECRETS:
        assert secret not in page
    assert f'<form method="post" action="{record.id}">' in page
    assert 'value="approve"' in page
    assert 'value="reject"' in page
    assert feed_entries(api) == []


def test_approve_publishes_the_public_fields_and_the_link_is_dead_after(
    local: str, api: Client, worker: QueueWorker, tmp_path: Path
) -> None:
    record = report(local)
    path = review_link(worker, record.id, tmp_path)

    approved = post(api, path, "approve")

    assert approved.status_code == 200, approved.body
    assert "is on the wall" in approved.body.decode()
    [entry] = feed_entries(api)
    assert entry["id"] == record.id
    assert entry["fields"] == {name: REPORT[name] for name in PUBLIC}
    again, reject_after = post(api, path, "approve"), post(api, path, "reject")
    for refused in (again, reject_after):
        assert refused.status_code == 409
        assert "was approved on" in refused.body.decode()
    assert api.http.get(path).status_code == 409
    assert [item["id"] for item in feed_entries(api)] == [record.id]


def test_reject_keeps_it_off_the_wall_and_the_link_is_dead_after(
    local: str, api: Client, worker: QueueWorker, tmp_path: Path
) -> None:
    record = report(local)
    path = review_link(worker, record.id, tmp_path)

    rejected = post(api, path, "reject")

    assert rejected.status_code == 200, rejected.body
    assert "will not be published" in rejected.body.decode()
    assert feed_entries(api) == []
    late = post(api, path, "approve")
    assert late.status_code == 409
    assert "was rejected on" in late.body.decode()
    assert feed_entries(api) == []
    assert json.loads(letterbox("wall", "pending", "--json").stdout) == []


def test_the_command_and_the_link_agree(local: str, api: Client, worker: QueueWorker, tmp_path: Path) -> None:
    by_command, removed = report(local, 0), report(local, 1)
    paths = [link_of(emailed(worker, r.id, tmp_path)) for r in (by_command, removed)]
    assert None not in paths
    assert letterbox("wall", "approve", by_command.id).exit_code == 0
    assert post(api, str(paths[1]), "approve").status_code == 200
    assert letterbox("wall", "remove", removed.id).exit_code == 0

    after_command, after_remove = post(api, str(paths[0]), "approve"), api.http.get(str(paths[1]))

    assert after_command.status_code == 409
    assert "was approved on" in after_command.body.decode()
    assert after_remove.status_code == 409
    assert "was removed from the wall on" in after_remove.body.decode()
    assert [item["id"] for item in feed_entries(api)] == [by_command.id]


def test_a_tampered_token_or_one_of_another_submission_is_refused(
    local: str, api: Client, worker: QueueWorker, tmp_path: Path
) -> None:
    first, second = report(local, 0), report(local, 1)
    path = link_of(emailed(worker, first.id, tmp_path))
    assert path is not None
    token = token_of(path)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    other = f"/forms/action-report/review/{second.id}?token={token}"
    before = bucket_state(local)

    answers = [
        api.http.get(f"/forms/action-report/review/{first.id}?token={tampered}"),
        api.http.get(other),
        api.http.get(f"/forms/action-report/review/{first.id}"),
        api.http.get(f"/forms/letter-copy/review/{first.id}?token={token}"),
        api.http.get(f"/forms/action-report/review/not-an-id?token={token}"),
        post(api, path, "approve", tampered),
        post(api, other, "approve", token),
    ]

    assert [answer.status_code for answer in answers] == [403] * len(answers)
    assert "This link is not valid" in answers[0].body.decode()
    assert bucket_state(local) == before
    assert feed_entries(api) == []


def test_an_expired_link_says_to_use_the_command(local: str, api: Client) -> None:
    record = report(local)
    path = signed_path(record, datetime.now(UTC) - timedelta(seconds=1))

    shown, posted = api.http.get(path), post(api, path, "approve")

    assert shown.status_code == posted.status_code == 410
    assert f"letterbox wall approve {record.id}" in shown.body.decode()
    assert feed_entries(api) == []


def test_an_unknown_submission_is_404_and_a_non_consenting_one_409(local: str, api: Client) -> None:
    gone = SubmissionRecord(
        id=ids.new_submission_id(DAY_ONE), form="action-report", schema_version="t", received_at="x", data={}
    )
    silent = report(local, 1, consent_publish=False)
    later = datetime.now(UTC) + timedelta(days=1)

    missing, refused = api.http.get(signed_path(gone, later)), api.http.get(signed_path(silent, later))

    assert missing.status_code == 404
    assert refused.status_code == 409
    assert "did not agree to publish" in refused.body.decode()


def test_a_decision_is_written_once_even_when_two_clicks_race(
    local: str, api: Client, worker: QueueWorker, tmp_path: Path
) -> None:
    record = report(local)
    path = review_link(worker, record.id, tmp_path)
    # The other click's decision lands first: this one's conditional PUT must lose, whatever it asks.
    s3 = boto3.client("s3")
    s3.put_object(Bucket=local, Key=decision_key("action-report", record.id), Body=b'{"decision":"rejected","at":"t"}')

    answer = post(api, path, "approve")

    assert answer.status_code == 409
    assert "was rejected on t" in answer.body.decode()
    assert feed_entries(api) == []


def test_the_page_is_in_the_organizers_language(
    local: str, api: Client, worker: QueueWorker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LETTERBOX_EMAIL_LANG", "ru")
    runtime.reset()
    record = report(local)
    message = emailed(worker, record.id, tmp_path)
    path = link_of(message)
    assert path is not None
    assert "Публичная стена" in parts(message)[0]

    page = api.http.get(path, headers={"Accept-Language": "en"}).body.decode()

    assert '<html lang="ru">' in page
    assert "Одобрить и опубликовать" in page


def test_storage_or_key_failures_are_503_and_change_nothing(
    local: str, api: Client, worker: QueueWorker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = report(local)
    path = review_link(worker, record.id, tmp_path)
    parameter = os.environ[PARAMETER_VARIABLE]
    monkeypatch.setenv(PARAMETER_VARIABLE, "/letterbox/review/no-such-key")
    runtime.reset()
    no_key = api.http.get(path)
    monkeypatch.setenv(PARAMETER_VARIABLE, parameter)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")  # nothing listens there
    runtime.reset()
    no_storage = post(api, path, "approve")

    assert no_key.status_code == no_storage.status_code == 503
    assert no_storage.headers["Retry-After"] == "60"
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3")
    runtime.reset()
    assert api.http.get(path).status_code == 200


def test_an_approval_whose_entry_was_never_stored_is_finished_by_the_link(
    local: str, api: Client, worker: QueueWorker, tmp_path: Path
) -> None:
    record = report(local)
    path = review_link(worker, record.id, tmp_path)
    # What a click leaves when S3 failed between its decision and the entry: approved, nothing published.
    body = b'{"decision":"approved","at":"2026-12-01T10:00:00Z"}'
    boto3.client("s3").put_object(Bucket=local, Key=decision_key("action-report", record.id), Body=body)

    shown, finished, again = api.http.get(path), post(api, path, "approve"), post(api, path, "approve")

    assert (shown.status_code, finished.status_code, again.status_code) == (200, 200, 409)
    assert [item["id"] for item in feed_entries(api)] == [record.id]


def test_without_the_signing_key_the_email_still_goes_out_with_the_command(
    local: str, worker: QueueWorker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PARAMETER_VARIABLE, "/letterbox/review/no-such-key")
    runtime.reset()
    record = report(local)

    message = emailed(worker, record.id, tmp_path)

    assert link_of(message) is None
    assert f"letterbox wall approve {record.id}" in parts(message)[0]
