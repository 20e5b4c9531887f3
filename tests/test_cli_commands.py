"""The organizers' console `letterbox`, run against the local AWS over HTTP (moto in server mode).

Most tests drive it in-process with click's CliRunner; some run the installed .venv/bin/letterbox.
Submissions are stored as the API stores them (SubmissionStore, one conditional PUT each), so the
bucket's notification announces each one on the notify queue, as on AWS.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner, Result

from chalicelib import runtime
from chalicelib.core import ids, storage
from chalicelib.core.digest_periods import Period
from chalicelib.core.record import StoredAttachment, SubmissionRecord
from chalicelib.core.storage import SubmissionStore, submission_key
from chalicelib.notify.digest_due import DigestDue
from devstack.infra import apply_template
from devstack.worker import QueueWorker
from letterbox import devstate, reading, tables
from letterbox.cli import cli
from tests.conftest import TEMPLATE, ses_emails

ROOT = Path(__file__).resolve().parent.parent
SENDER = "letterbox@example.org"
ORGANIZERS = "organizers@example.org"
DAY_ONE = datetime(2026, 11, 14, 18, 3, 12, tzinfo=UTC)
REPORT = {
    "kind": "picket",
    "date": "2026-11-14",
    "city": "Берлин",
    "country": "Germany",
    "description": "Двадцать человек у посольства.\r\nС плакатами.",
    "links": ["https://example.org/photo", "https://example.org/article"],
    "consent_publish": True,
}


@pytest.fixture(scope="module")
def cli_stack(aws_endpoint: str) -> dict[str, str]:
    """The infra template's resources, versioned, as a stage that keeps old versions has them."""
    return apply_template(TEMPLATE, {"Stage": "cli", "SenderAddress": SENDER, "Versioning": "Enabled"})


@pytest.fixture
def local(
    cli_stack: dict[str, str], aws_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """An empty bucket and queues, found by `--local` through the state file `make dev` would write."""
    empty_bucket(cli_stack["BucketName"])
    sqs = boto3.client("sqs")
    for url in (cli_stack["NotifyQueueUrl"], cli_stack["DeadLetterQueueUrl"]):
        sqs.purge_queue(QueueUrl=url)
    state = tmp_path / "letterbox-dev.json"
    assert devstate.write_state(aws_endpoint, cli_stack, state) == state
    monkeypatch.setenv(devstate.STATE_ENV, str(state))
    yield state
    devstate.remove_state(state, aws_endpoint)


def empty_bucket(bucket: str) -> None:
    s3 = boto3.client("s3")
    for version in all_versions(bucket):
        s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])


def all_versions(bucket: str, prefix: str = "") -> list[dict[str, Any]]:
    """Every version and delete marker in the bucket: what a delete must leave nothing of."""
    found: list[dict[str, Any]] = []
    s3: Any = boto3.client("s3")
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        found += page.get("Versions", []) + page.get("DeleteMarkers", [])
    return found


def letterbox(*args: str, input_text: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--local", *args], input=input_text, catch_exceptions=False)


def store(
    bucket: str,
    when: datetime,
    data: dict[str, Any] | None = None,
    form: str = "action-report",
    files: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
) -> SubmissionRecord:
    s3 = boto3.client("s3")
    submission_id = ids.new_submission_id(when)
    attachments = []
    for n, (name, content) in enumerate(files, start=1):
        key = f"attachments/{submission_id}/{n}"
        s3.put_object(Bucket=bucket, Key=key, Body=content, ContentType="application/pdf")
        attachments.append(StoredAttachment(key, name, "application/pdf", len(content)))
    record = SubmissionRecord(
        id=submission_id,
        form=form,
        schema_version="test",
        received_at=when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        data=REPORT if data is None else data,
        attachments=tuple(attachments),
    )
    SubmissionStore(s3, bucket).put(record)
    return record


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# list


def test_list_is_newest_first_with_the_forms_summary(local: Path, cli_stack: dict[str, str]) -> None:
    bucket = cli_stack["BucketName"]
    old = store(bucket, DAY_ONE - timedelta(days=3), {**REPORT, "city": "Vilnius", "kind": "banner"})
    new = store(bucket, DAY_ONE)
    letter = store(
        bucket,
        DAY_ONE - timedelta(days=1),
        {"addressee_kind": "court", "addressee": "Суд", "channel": "fax", "date_sent": "2026-11-13", "text": "x"},
        form="letter-copy",
    )

    listed = as_json(letterbox("list", "--json"))

    assert [item["id"] for item in listed] == [new.id, letter.id, old.id]
    assert listed[0] == {
        "id": new.id,
        "form": "action-report",
        "received": "2026-11-14T18:03:12.000Z",
        "summary": "Action report: Picket or rally, Берлин, 2026-11-14",
    }
    assert listed[2]["summary"] == "Action report: Banner or graffiti, Vilnius, 2026-11-14"
    assert [item["id"] for item in as_json(letterbox("list", "--form", "letter-copy", "--json"))] == [letter.id]
    between = letterbox("list", "--since", "2026-11-11", "--until", "2026-11-13", "--json")
    assert [item["id"] for item in as_json(between)] == [letter.id, old.id]


def test_list_reads_only_the_submissions_it_shows(
    local: Path, cli_stack: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = cli_stack["BucketName"]
    stored = [store(bucket, DAY_ONE + timedelta(minutes=n)) for n in range(5)]
    reads: list[str] = []
    real_read = storage.read_object

    def counting(s3: Any, bucket: str, key: str) -> bytes | None:
        reads.append(key)
        return real_read(s3, bucket, key)

    monkeypatch.setattr(reading, "read_object", counting)

    result = letterbox("list", "--limit", "2", "--json")

    assert [item["id"] for item in as_json(result)] == [stored[4].id, stored[3].id]
    assert len(reads) == 2
    assert "--limit 0 shows all" in result.stderr


def test_list_piped_prints_one_tab_separated_line_per_submission(local: Path, cli_stack: dict[str, str]) -> None:
    record = store(cli_stack["BucketName"], DAY_ONE, {**REPORT, "city": "Riga\x1b[31m\tred"})

    result = letterbox("list")

    assert result.exit_code == 0
    [line] = result.stdout.splitlines()
    assert line.split("\t")[:2] == [record.id, "action-report"]
    assert "\x1b" not in result.stdout  # a supporter's escape sequence never reaches the terminal


# show and files


def test_show_lists_every_field_with_its_label_and_the_attachments(local: Path, cli_stack: dict[str, str]) -> None:
    record = store(cli_stack["BucketName"], DAY_ONE, files=[("скан.pdf", b"%PDF-1 scan")])

    shown = as_json(letterbox("show", record.id, "--json"))
    russian = letterbox("show", record.id.lower(), "--lang", "ru")
    german = letterbox("show", record.id, "--lang", "de")

    labels = {field["label"]: field["value"] for field in shown["fields"]}
    assert labels["Type of action"] == "Picket or rally"
    assert labels["City"] == "Берлин"
    assert labels["Links"] == "https://example.org/photo\nhttps://example.org/article"
    assert list(labels)[:4] == ["Type of action", "Date of the action", "City", "Country"]
    assert shown["attachments"] == [
        {"key": f"attachments/{record.id}/1", "name": "скан.pdf", "type": "application/pdf", "size": 11}
    ]
    assert russian.exit_code == 0
    assert "Город: Берлин" in russian.stdout
    assert "Вид акции: Пикет или митинг" in russian.stdout
    assert "file: скан.pdf (application/pdf, 11 bytes)" in russian.stdout
    assert german.exit_code == 0
    assert "Art der Aktion: Mahnwache oder Kundgebung" in german.stdout


def test_show_an_unknown_id_fails_and_a_malformed_one_is_a_usage_error(local: Path) -> None:
    missing = letterbox("show", ids.new_submission_id(DAY_ONE))
    malformed = letterbox("show", "not-an-id")

    assert missing.exit_code == 1
    assert "no submission" in missing.stderr
    assert malformed.exit_code == 2


def test_files_saves_the_attachments_with_their_names_safe(
    local: Path, cli_stack: dict[str, str], tmp_path: Path
) -> None:
    files = [("скан.pdf", b"one"), ("../../etc/passwd", b"two"), ("скан.pdf", b"three"), ("a\x00b\nc.pdf", b"four")]
    record = store(cli_stack["BucketName"], DAY_ONE, files=files)
    out = tmp_path / "saved"

    first = letterbox("files", record.id, "--out", str(out))
    second = letterbox("files", record.id, "--out", str(out))

    assert first.exit_code == 0, first.output
    assert sorted(path.name for path in out.iterdir()) == ["_.._etc_passwd", "a_b_c.pdf", "скан (2).pdf", "скан.pdf"]
    assert (out / "скан.pdf").read_bytes() == b"one"
    assert (out / "скан (2).pdf").read_bytes() == b"three"
    assert not (tmp_path / "etc").exists()
    assert "4 downloaded, 0 already there" in first.stderr
    assert "0 downloaded, 4 already there" in second.stderr


# export


FORMULAS = {
    "city": '=HYPERLINK("https://evil.example","click")',
    "country": "+7 Россия",
    "description": "-2+3",
    "reporter": "@SUM(A1)",
    "email": "\tx@example.org",
}


def test_export_csv_is_utf8_with_a_bom_and_no_cell_is_a_formula(
    local: Path, cli_stack: dict[str, str], tmp_path: Path
) -> None:
    bucket = cli_stack["BucketName"]
    plain = store(bucket, DAY_ONE)
    hostile = store(bucket, DAY_ONE + timedelta(hours=1), {**REPORT, **FORMULAS, "links": ["-1", "=2"]})
    out = tmp_path / "reports.csv"

    result = letterbox("export", "--form", "action-report", "--format", "csv", "--out", str(out))

    assert result.exit_code == 0, result.output
    assert f"exported 2 submissions to {out}" in result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    header, first, second = rows
    assert header[:7] == ["id", "form", "received", "Type of action", "Date of the action", "City", "Country"]
    by_label = [dict(zip(header, row, strict=True)) for row in (first, second)]
    assert by_label[0]["id"] == plain.id
    assert by_label[0]["City"] == "Берлин"
    assert by_label[0]["Links"] == "https://example.org/photo; https://example.org/article"
    assert by_label[0]["The organizers may publish this report"] == "yes"
    assert by_label[0]["What happened"] == "Двадцать человек у посольства.\nС плакатами."
    assert by_label[1]["id"] == hostile.id
    assert by_label[1]["City"] == "'" + FORMULAS["city"]
    assert by_label[1]["Country"] == "'+7 Россия"
    assert by_label[1]["What happened"] == "'-2+3"
    assert by_label[1]["Links"] == "'-1; =2"  # the cell's start is what a spreadsheet reads
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def spreadsheet_cells(path: Path, tmp_path: Path) -> list[list[str]]:
    """The cells as LibreOffice Calc shows them after opening the CSV (UTF-8, formulas evaluated)."""
    options = "44,34,76,1,,0,false,true,false,false,false,-1"  # comma, double quote, UTF-8, from line 1
    out = tmp_path / "calc"
    convert = ["--convert-to", f"csv:Text - txt - csv (StarCalc):{options}", "--outdir", str(out), str(path)]
    done = subprocess.run(
        ["soffice", "--headless", "--norestore", f"--infilter=CSV:{options}", *convert],
        env={**os.environ, "HOME": str(tmp_path)},  # a profile of its own, not the user's
        capture_output=True,
        timeout=120,
        check=True,
    )
    [shown] = out.glob("*.csv")
    assert done.returncode == 0
    return list(csv.reader(io.StringIO(shown.read_text(encoding="utf-8"), newline="")))


def test_export_csv_opened_in_a_spreadsheet_shows_text_and_runs_no_formula(
    local: Path, cli_stack: dict[str, str], tmp_path: Path
) -> None:
    store(cli_stack["BucketName"], DAY_ONE, {**REPORT, **FORMULAS})
    out = tmp_path / "reports.csv"
    assert letterbox("export", "--form", "action-report", "--out", str(out)).exit_code == 0
    # The same values written raw: the reader does evaluate them, so the check below can fail.
    raw = tmp_path / "raw.csv"
    with raw.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(["=1+1", FORMULAS["city"]])
    assert spreadsheet_cells(raw, tmp_path / "raw") == [["2", "click"]]

    header, row = spreadsheet_cells(out, tmp_path / "export")
    shown = dict(zip(header, row, strict=True))
    assert shown["City"] == "'" + FORMULAS["city"]
    assert shown["Country"] == "'+7 Россия"  # and Cyrillic reads as Cyrillic
    assert shown["What happened"] == "'-2+3"
    assert shown["Your name or group"] == "'@SUM(A1)"


def test_every_start_a_spreadsheet_evaluates_is_neutralised() -> None:
    for value in ("=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"):
        assert tables.neutralised(value) == "'" + value
    assert tables.neutralised("Berlin = capital") == "Berlin = capital"


def test_export_csv_header_can_be_the_field_names(local: Path, cli_stack: dict[str, str]) -> None:
    store(cli_stack["BucketName"], DAY_ONE)

    result = letterbox("export", "--form", "action-report", "--names")

    header = next(csv.reader(io.StringIO(result.stdout_bytes.decode("utf-8-sig"))))
    assert header == ["id", "form", "received", "kind", "date", "city", "country", "description", "participants",
                      "links", "attachments", "reporter", "email", "consent_publish"]  # fmt: skip


@pytest.mark.parametrize("fmt", ["json", "ndjson"])
def test_export_json_and_ndjson_carry_values_unchanged(local: Path, cli_stack: dict[str, str], fmt: str) -> None:
    bucket = cli_stack["BucketName"]
    record = store(bucket, DAY_ONE, {**REPORT, **FORMULAS}, files=[("скан.pdf", b"x")])
    letter = store(bucket, DAY_ONE, {"addressee_kind": "court", "addressee": "Суд", "channel": "fax"}, "letter-copy")

    result = letterbox("export", "--all", "--format", fmt)

    assert result.exit_code == 0, result.output
    text = result.stdout_bytes.decode()
    rows = json.loads(text) if fmt == "json" else [json.loads(line) for line in text.splitlines()]
    by_id = {row["id"]: row for row in rows}
    assert by_id[record.id]["city"] == FORMULAS["city"]
    assert by_id[record.id]["kind"] == "Picket or rally"
    assert by_id[record.id]["consent_publish"] == "yes"
    assert by_id[record.id]["attachments"] == "скан.pdf"
    assert by_id[letter.id]["form"] == "letter-copy"
    assert by_id[letter.id]["addressee"] == "Суд"
    assert by_id[letter.id]["city"] == ""


def test_export_without_a_form_choice_is_a_usage_error(local: Path) -> None:
    assert letterbox("export").exit_code == 2
    assert letterbox("export", "--all", "--form", "action-report").exit_code == 2
    assert letterbox("export", "--form", "no-such-form").exit_code == 2


def test_export_with_files_twice_downloads_each_file_once(
    local: Path, cli_stack: dict[str, str], tmp_path: Path
) -> None:
    record = store(cli_stack["BucketName"], DAY_ONE, files=[("скан.pdf", b"a" * 5000), ("fax.pdf", b"b" * 10)])
    args = ["export", "--form", "action-report", "--out", str(tmp_path / "r.csv"), "--files", str(tmp_path / "files")]

    first = letterbox(*args)
    saved = tmp_path / "files" / record.id / "скан.pdf"
    written = saved.stat().st_mtime_ns
    second = letterbox(*args)

    assert "2 downloaded, 0 already there" in first.stderr
    assert "0 downloaded, 2 already there" in second.stderr
    assert saved.read_bytes() == b"a" * 5000
    assert saved.stat().st_mtime_ns == written
    assert (tmp_path / "r.csv").read_bytes().count(record.id.encode()) == 1


# stats


def test_stats_counts_per_form_day_and_choice(local: Path, cli_stack: dict[str, str]) -> None:
    bucket = cli_stack["BucketName"]
    store(bucket, DAY_ONE, {**REPORT, "country": "Germany"})
    store(bucket, DAY_ONE + timedelta(minutes=1), {**REPORT, "country": " germany ", "kind": "banner"})
    store(bucket, DAY_ONE + timedelta(days=1), {**REPORT, "country": "Lithuania", "city": "Vilnius"})
    store(bucket, DAY_ONE, {"addressee_kind": "court", "addressee": "Суд", "channel": "fax"}, "letter-copy")

    stats = as_json(letterbox("stats", "--json"))
    since = as_json(letterbox("stats", "--form", "action-report", "--since", "2026-11-15", "--json"))

    assert stats["total"] == 4
    report = stats["forms"]["action-report"]
    assert report["count"] == 3
    assert report["days"] == {"2026-11-14": 2, "2026-11-15": 1}
    assert report["fields"]["country"] == {"label": "Country", "distinct": 2, "counts": {"Germany": 2, "Lithuania": 1}}
    assert report["fields"]["kind"]["counts"] == {"Picket or rally": 2, "Banner or graffiti": 1}
    assert stats["forms"]["letter-copy"]["fields"]["channel"]["counts"] == {"Fax": 1}
    assert since["total"] == 1


# delete


def test_delete_leaves_nothing_of_the_submission_in_any_version(local: Path, cli_stack: dict[str, str]) -> None:
    bucket = cli_stack["BucketName"]
    s3 = boto3.client("s3")
    kept = store(bucket, DAY_ONE, files=[("other.pdf", b"keep")])
    upload_id = ids.new_submission_id(DAY_ONE)
    record = store(bucket, DAY_ONE, {**REPORT, "attachments": [upload_id]}, files=[("скан.pdf", b"1"), ("b.pdf", b"2")])
    for state in ("claimed", "handed-over", "sent"):  # three versions of the marker
        s3.put_object(Bucket=bucket, Key=f"notified/{record.id}", Body=json.dumps({"state": state}).encode())
    s3.put_object(Bucket=bucket, Key=f"uploads/action-report/{upload_id}", Body=b"left behind")
    s3.delete_object(Bucket=bucket, Key=f"uploads/action-report/{upload_id}")  # a delete marker over it

    refused = letterbox("delete", record.id, input_text="n\n")
    assert refused.exit_code == 1
    assert "this deletes for good" in refused.stderr
    assert [v for v in all_versions(bucket) if record.id in v["Key"]]

    result = letterbox("delete", record.id, "--yes")

    assert result.exit_code == 0, result.output
    assert "the submission (1 object, 1 version), attachments (2 objects, 2 versions)" in result.stdout
    assert "notification marker (1 object, 3 versions), uploads (1 object, 2 versions)" in result.stdout
    everything = all_versions(bucket)
    assert not [v for v in everything if record.id in v["Key"] or upload_id in v["Key"]]
    for prefix in ("submissions/", "attachments/", "notified/", "uploads/"):
        assert not [v for v in all_versions(bucket, prefix) if record.id in v["Key"]]
    assert submission_key("action-report", kept.id) in {v["Key"] for v in everything}
    assert letterbox("delete", record.id, "--yes").exit_code == 1  # nothing left to delete


# dead letters, redrive and resend: each ends in exactly one email


@pytest.fixture
def notify_worker(
    local: Path, app_env: dict[str, str], cli_stack: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> QueueWorker:
    """The notify function's handler fed from the notify queue, as Lambda (and `make dev`'s worker) feeds it."""
    for name, value in {
        "LETTERBOX_BUCKET": cli_stack["BucketName"],
        "LETTERBOX_SENDER": SENDER,
        "LETTERBOX_ORGANIZERS": ORGANIZERS,
        "LETTERBOX_RETRY_DELAY_SECONDS": "0",
    }.items():
        monkeypatch.setenv(name, value)
    runtime.reset()
    from app import notify

    return QueueWorker(boto3.client("sqs"), cli_stack["NotifyQueueName"], notify, None, wait_seconds=0)


def run_until_idle(worker: QueueWorker, limit: int = 20) -> None:
    for _ in range(limit):
        if worker.run_once() == 0:
            return
    raise AssertionError(f"queue not empty after {limit} batches")


def emails_for(aws_endpoint: str, submission_id: str) -> int:
    return sum(1 for m in ses_emails(aws_endpoint) if m["X-Letterbox-Submission"] == submission_id)


def test_dead_letters_are_shown_kept_and_redriven_into_exactly_one_email(
    notify_worker: QueueWorker, cli_stack: dict[str, str], aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LETTERBOX_SENDER", "not-verified@example.org")  # SES refuses: five tries, then dead letter
    runtime.reset()
    record = store(cli_stack["BucketName"], DAY_ONE)
    run_until_idle(notify_worker)
    assert emails_for(aws_endpoint, record.id) == 0

    first = as_json(letterbox("dead-letters", "--json"))
    again = as_json(letterbox("dead-letters", "--json"))

    [letter] = first["dead_letters"]
    assert (letter["id"], letter["form"], letter["marker"]) == (record.id, "action-report", "none")
    assert letter["receives"] >= 5
    assert again["dead_letters"][0]["id"] == record.id  # looking took nothing away
    assert "Берлин" not in json.dumps(first)

    monkeypatch.setenv("LETTERBOX_SENDER", SENDER)  # the cause fixed
    runtime.reset()
    moved = as_json(letterbox("dead-letters", "--redrive", "--json"))
    run_until_idle(notify_worker)

    assert (moved["moved"], moved["failed"]) == (1, 0)
    assert emails_for(aws_endpoint, record.id) == 1
    assert as_json(letterbox("dead-letters", "--json"))["dead_letters"] == []
    assert as_json(letterbox("dead-letters", "--redrive", "--json"))["moved"] == 0
    run_until_idle(notify_worker)
    assert emails_for(aws_endpoint, record.id) == 1


def test_a_digest_in_the_dead_letter_queue_is_shown_by_form_and_period(local: Path, cli_stack: dict[str, str]) -> None:
    start = datetime(2026, 11, 14, 10, tzinfo=UTC)
    due = DigestDue("action-report", Period(start, start + timedelta(hours=1)))
    boto3.client("sqs").send_message(QueueUrl=cli_stack["DeadLetterQueueUrl"], MessageBody=due.to_json())

    [letter] = as_json(letterbox("dead-letters", "--json"))["dead_letters"]

    assert (letter["id"], letter["form"], letter["marker"]) == (f"(digest {due.period.name})", "action-report", "none")


def test_resend_sends_one_more_email_and_refuses_while_a_send_is_under_way(
    notify_worker: QueueWorker, cli_stack: dict[str, str], aws_endpoint: str
) -> None:
    bucket = cli_stack["BucketName"]
    record = store(bucket, DAY_ONE)
    run_until_idle(notify_worker)
    assert emails_for(aws_endpoint, record.id) == 1

    resent = as_json(letterbox("resend", record.id, "--json"))
    run_until_idle(notify_worker)

    assert resent["previous_marker"] == "sent"
    assert emails_for(aws_endpoint, record.id) == 2
    marker = boto3.client("s3").get_object(Bucket=bucket, Key=f"notified/{record.id}")["Body"].read()
    assert json.loads(marker)["state"] == "sent"

    claim = {"state": "claimed", "at": datetime.now(UTC).isoformat(), "attempt": "another"}
    boto3.client("s3").put_object(Bucket=bucket, Key=f"notified/{record.id}", Body=json.dumps(claim).encode())
    refused = letterbox("resend", record.id)
    run_until_idle(notify_worker)

    assert refused.exit_code == 1
    assert "right now: try again in a few minutes" in refused.stderr
    assert emails_for(aws_endpoint, record.id) == 2


# where it acts


def test_the_installed_command_finds_the_local_stack_and_pipes_plain_lines(
    local: Path, cli_stack: dict[str, str], aws_endpoint: str
) -> None:
    record = store(cli_stack["BucketName"], DAY_ONE)
    command = Path(sys.prefix) / "bin" / "letterbox"
    env = {**os.environ, devstate.STATE_ENV: str(local)}
    env.pop("AWS_ENDPOINT_URL", None)  # found through the state file alone

    listed = subprocess.run([command, "--local", "list"], env=env, capture_output=True, text=True, timeout=60)
    shown = subprocess.run([command, "show", record.id, "--local", "--json"], env=env, capture_output=True, timeout=60)
    usage = subprocess.run([command, "--local", "show", "nope"], env=env, capture_output=True, timeout=60)
    helped = subprocess.run([command, "export", "--help"], env=env, capture_output=True, text=True, timeout=60)
    module = subprocess.run([sys.executable, "-m", "letterbox", "--help"], capture_output=True, timeout=60, cwd=ROOT)

    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        f"{record.id}\taction-report\t2026-11-14T18:03:12.000Z\tAction report: Picket or rally, Берлин, 2026-11-14"
    ]
    assert json.loads(shown.stdout)["id"] == record.id
    assert usage.returncode == 2
    assert helped.returncode == 0
    assert "Examples:" in helped.stdout
    assert module.returncode == 0


def test_without_a_running_stack_local_says_how_to_start_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(devstate.STATE_ENV, str(tmp_path / "none.json"))

    result = letterbox("list")
    nowhere = CliRunner().invoke(cli, ["list"])

    assert result.exit_code == 1
    assert "make dev" in result.stderr
    assert nowhere.exit_code == 2


def test_a_stage_is_found_by_its_stack_outputs(local: Path, cli_stack: dict[str, str]) -> None:
    """--stage NAME reads the bucket and queues from CloudFormation's letterbox-NAME; only the endpoint differs."""
    outputs = {name: {"Value": cli_stack[name]} for name in ("BucketName", "NotifyQueueUrl", "DeadLetterQueueUrl")}
    placeholder = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "letterbox-clistage-placeholder"}}
    template = {"Resources": {"Placeholder": placeholder}, "Outputs": outputs}
    cloudformation = boto3.client("cloudformation")
    cloudformation.create_stack(StackName="letterbox-clistage", TemplateBody=json.dumps(template))
    record = store(cli_stack["BucketName"], DAY_ONE)

    staged = CliRunner().invoke(cli, ["--stage", "clistage", "list", "--json"])
    missing = CliRunner().invoke(cli, ["--stage", "nosuchstage", "list"])

    assert [item["id"] for item in as_json(staged)] == [record.id]
    assert missing.exit_code == 1
    assert "no stack letterbox-nosuchstage" in missing.stderr
    cloudformation.delete_stack(StackName="letterbox-clistage")


def test_the_state_file_is_kept_by_the_stack_that_runs_and_removed_by_it_only(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    outputs = {"BucketName": "b", "NotifyQueueUrl": "q", "DeadLetterQueueUrl": "d"}
    path.write_text(json.dumps({**outputs, "endpoint": "http://other", "bucket": "b", "notify_queue_url": "q",
                                "dead_letter_queue_url": "d", "pid": 1}))  # fmt: skip

    assert devstate.write_state("http://mine", outputs, path) is None  # pid 1 runs: its file stays
    devstate.remove_state(path, "http://mine")
    assert path.exists()
    path.unlink()
    assert devstate.write_state("http://mine", outputs, path) == path
    devstate.remove_state(path, "http://mine")
    assert not path.exists()
