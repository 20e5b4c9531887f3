"""The invariants every fuzz request is held to, and the CPU each one took.

- no 5xx;
- a 4xx stores nothing (no object under submissions/ nor attachments/);
- a 201 or 303 stores exactly one submission (and the files it names) whose data the form's schema
  accepts, checked here with jsonschema's own Draft 2020-12 validator and format checker, not the
  API's; a filled honeypot or a replayed Idempotency-Key stores nothing;
- a 303 leads to the thanks page or to a page of the form's own sites, in ASCII;
- no header of an answer holds a line break or another control character;
- no submitted value appears in a log line;
- the median request takes less than 50 ms of CPU, and none takes 500 ms (a stall, not noise).
"""

from __future__ import annotations

import gc
import json
import logging
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chalice.test import Client
from jsonschema import Draft202012Validator, FormatChecker

from tests.fuzz.strategies import FORMS, ORIGINS, SCHEMAS, FuzzRequest, normalise

VALIDATORS = {form: Draft202012Validator(schema, format_checker=FormatChecker()) for form, schema in SCHEMAS.items()}
COUNTED_PREFIXES = ("submissions/", "attachments/")
EVERY_PREFIX = ("submissions/", "attachments/", "uploads/", "notified/")
CPU_LIMIT_SECONDS = 0.050
# Past this, one request is a stall, not noise: what jsonschema's pairwise uniqueItems was (a minute).
CPU_CEILING_SECONDS = 0.5
# What no HTTP header value can hold: a control character other than tab.
HEADER_BREAK = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
LOCATION_BREAK = re.compile(r"[\x00-\x20\x7f]")
# The local AWS emulator's own loggers (moto's HTTP server): its request lines are not the project's logs.
EMULATOR_LOGGERS = ("werkzeug", "moto")
XSS_MARKERS = ("<script", "<img", "<svg", "<iframe", "onerror=", "onload=", "javascript:")

# Per test: the CPU seconds each request took (time.thread_time: the handler runs in the caller's thread),
# and the statuses answered.
CPU_SAMPLES: dict[str, list[float]] = {}
STATUSES: dict[str, Counter[int]] = {}


class FuzzBucket:
    """The fuzz suite's own bucket, whose content the suite always knows: one LIST checks a request."""

    def __init__(self, s3: Any, name: str) -> None:
        self.s3 = s3
        self.name = name
        self.known: set[str] = set()  # what the bucket held after the last check

    def keys(self, prefixes: Sequence[str] = COUNTED_PREFIXES) -> set[str]:
        found: set[str] = set()
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.name):
            found.update(item["Key"] for item in page.get("Contents", []) if item["Key"].startswith(tuple(prefixes)))
        return found

    def empty(self) -> None:
        self.delete(self.keys(EVERY_PREFIX))
        self.known = set()

    def delete(self, keys: Iterable[str]) -> None:
        ordered = sorted(keys)
        for start in range(0, len(ordered), 1000):
            chunk = [{"Key": key} for key in ordered[start : start + 1000]]
            self.s3.delete_objects(Bucket=self.name, Delete={"Objects": chunk, "Quiet": True})
        self.known -= set(ordered)

    def record(self, key: str) -> dict[str, Any]:
        raw = self.s3.get_object(Bucket=self.name, Key=key)["Body"].read()
        record: dict[str, Any] = json.loads(raw)
        return record


def send(client: Client, request: FuzzRequest, label: str) -> Any:
    """POST the request through Chalice's test client, measuring the CPU the handler took."""
    # The collector's passes over this process's heap (the emulator's, Hypothesis's) are not the function's.
    gc.disable()
    try:
        start = time.thread_time()
        response = client.http.post(request.path, headers=request.headers, body=request.body)
        seconds = time.thread_time() - start
    finally:
        gc.enable()
    STATUSES.setdefault(label, Counter())[response.status_code] += 1
    if record_cpu(label, seconds):
        assert seconds < CPU_CEILING_SECONDS, f"{seconds * 1000:.0f} ms of CPU for {request.describe()}"
    return response


def record_cpu(label: str, seconds: float) -> bool:
    """Keep a sample, unless a tracer ran (coverage, or Hypothesis tracing a failure it shrinks): then CPU
    says nothing of the code."""
    if sys.gettrace() is not None:
        return False
    CPU_SAMPLES.setdefault(label, []).append(seconds)
    return True


def cpu_summary(label: str) -> str:
    samples = sorted(CPU_SAMPLES.get(label, []))
    if not samples:
        return f"{label}: no requests"
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    over = sum(1 for sample in samples if sample >= CPU_LIMIT_SECONDS)
    statuses = ", ".join(f"{status}: {count}" for status, count in sorted(STATUSES.get(label, Counter()).items()))
    return (
        f"{label}: {len(samples)} requests, CPU median {statistics.median(samples) * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms, max {samples[-1] * 1000:.1f} ms, {over} at or over 50 ms; answers {statuses}"
    )


def check_cpu(label: str) -> None:
    samples = CPU_SAMPLES.get(label, [])
    assert samples, f"{label}: no request was measured"
    assert statistics.median(samples) < CPU_LIMIT_SECONDS, cpu_summary(label)


@dataclass(frozen=True)
class Answer:
    status: int
    stored: tuple[str, ...]  # every object this request stored: the submission, then its files
    submission_id: str | None

    @property
    def stored_key(self) -> str | None:
        return self.stored[0] if self.stored else None


def check_answer(
    request: FuzzRequest, response: Any, bucket: FuzzBucket, before: set[str], records: Sequence[logging.LogRecord]
) -> Answer:
    """Every invariant of one request; the object it stored, if any."""
    context = request.describe()
    status = int(response.status_code)
    assert status < 500, f"{status} answered to {context}\nbody: {response.body[:800]!r}"
    for name, value in response.headers.items():
        for item in value if isinstance(value, list) else [value]:
            assert not HEADER_BREAK.search(str(item)), f"header {name}: {item!r} answered to {context}"
    after = bucket.keys()
    bucket.known = after
    assert before <= after, f"objects disappeared: {sorted(before - after)} after {context}"
    new = sorted(after - before)
    stored: tuple[str, ...] = ()
    submission_id: str | None = None
    if 400 <= status < 500:
        assert not new, f"a {status} stored {new} for {context}\nbody: {response.body[:800]!r}"
    else:
        assert status in (201, 303), f"unexpected {status} answered to {context}"
        replayed = response.headers.get("Idempotent-Replayed") == "true"
        answer = json.loads(response.body) if status == 201 else {}
        if request.honeypot_filled or replayed:
            assert not new, f"a {'honeypot' if not replayed else 'replay'} stored {new} for {context}"
            if replayed and status == 201:
                assert any(key.endswith(f"/{answer['id']}.json") for key in after), f"replayed a lost id: {context}"
        else:
            submissions = [key for key in new if key.startswith("submissions/")]
            assert len(submissions) == 1, f"a {status} stored {len(submissions)} submissions ({new}) for {context}"
            record = check_record(request, bucket, submissions[0], answer.get("id"))
            files = sorted(attachment["key"] for attachment in record["attachments"])
            assert sorted(set(new) - set(submissions)) == files, f"stored {new}, the record names {files}: {context}"
            stored, submission_id = (submissions[0], *files), str(record["id"])
    if status == 303:
        check_location(response.headers.get("Location", ""), context)
    check_body(request, response, status)
    public = [bucket.name, *(key for key in new), *([request.form] if request.form in FORMS else [])]
    check_logs(records, request.submitted, public, context)
    return Answer(status, stored, submission_id)


def check_record(request: FuzzRequest, bucket: FuzzBucket, key: str, answered_id: str | None) -> dict[str, Any]:
    context = request.describe()
    assert key.startswith(f"submissions/{request.form}/"), f"stored at {key}: {context}"
    assert key.endswith(".json"), f"stored at {key}: {context}"
    record = bucket.record(key)
    assert record["form"] == request.form, context
    assert key.endswith(f"/{record['id']}.json"), f"{key} holds {record['id']}"
    if answered_id is not None:
        assert answered_id == record["id"], f"answered {answered_id}, stored {record['id']}: {context}"
    errors = [f"{error.json_path}: {error.message}" for error in VALIDATORS[request.form].iter_errors(record["data"])]
    assert not errors, f"stored data the schema refuses: {errors}\nfor {context}"
    if request.expected_data is not None:
        assert record["data"] == request.expected_data, f"stored {record['data']!r} for {context}"
    for name, text in request.expected_texts.items():
        assert record["data"].get(name) == text, f"stored {name}={record['data'].get(name)!r}, sent {text!r}"
    return record


def check_location(location: str, context: str) -> None:
    """A 303 leads to the thanks page or to a page of the form's own sites, and is ASCII without spaces."""
    assert location.isascii(), f"Location {location!r} for {context}"
    assert not LOCATION_BREAK.search(location), f"Location {location!r} for {context}"
    if location.startswith("thanks?"):
        assert location in ("thanks?lang=en", "thanks?lang=ru"), f"Location {location!r} for {context}"
        return
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}".lower() in ORIGINS, f"redirect to {location!r} for {context}"


def check_body(request: FuzzRequest, response: Any, status: int) -> None:
    content_type = str(response.headers.get("Content-Type", ""))
    context = request.describe()
    if content_type.startswith(("application/json", "application/problem+json")):
        answer = json.loads(response.body)
        if content_type.startswith("application/problem+json"):
            assert answer["status"] == status, f"problem status {answer['status']} in a {status}: {context}"
    elif content_type.startswith("text/html"):
        page = response.body.decode("utf-8")
        for text in request.submitted:
            if any(marker in text.lower() for marker in XSS_MARKERS):
                assert text[:64] not in page, f"markup {text!r} echoed into an HTML page for {context}"


def distinctive(text: str) -> bool:
    """Long and varied enough that finding it in a log line is not a coincidence."""
    stripped = text.strip()
    return len(stripped) >= 6 and len(set(stripped)) >= 3


def log_text(record: logging.LogRecord) -> str:
    text = record.getMessage()
    if record.exc_info:
        text += "\n" + logging.Formatter().formatException(record.exc_info)
    return text


def check_logs(
    records: Iterable[logging.LogRecord], submitted: Iterable[str], public: Sequence[str], context: str
) -> None:
    """No submitted value (as sent, or as stored) appears in a log line.

    Texts of a log line's own template, and names the log may give (the form, the bucket, the
    stored key), are not counted: a supporter who types "submission stored" is not leaked.
    """
    secrets = {variant for text in submitted for variant in (text, normalise(text)) if distinctive(variant)}
    if not secrets:
        return
    for record in records:
        if record.name.split(".")[0] in EMULATOR_LOGGERS:
            continue
        text = log_text(record)
        for name in public:
            text = text.replace(name, "\x00")
        template = str(record.msg)
        for secret in secrets:
            assert secret not in text or secret in template, (
                f"submitted {secret!r} logged by {record.name} at {record.levelname}: {record.getMessage()!r}\n"
                f"for {context}"
            )
