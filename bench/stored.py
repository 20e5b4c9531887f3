"""Stored submissions for the export and digest figures: valid records, put straight into the local AWS.

The records are the project's own type (SubmissionRecord), built as the API builds them: the form's
fields as bench/common.py's REPORT sends them, defaults applied, checked against the form's schema,
the schema version of the form, received_at to the millisecond of the id, at the key the store
writes (submissions/{form}/{yyyy}/{mm}/{dd}/{id}.json). They go in with moto's own put_object, in
the process that runs LocalAws's server: over HTTP one PUT at a time moto takes about 180 a second
on a 2-core machine (about a minute for 10,000); its put_object, tens of thousands.

The S3 requests of a child process are counted on the server's side, from its request log
(werkzeug's, one line per request): `RequestLog`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from bench.common import FORM, REPORT
from chalicelib.core import ids
from chalicelib.core.record import SubmissionRecord
from chalicelib.core.storage import submission_key

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def report_data() -> tuple[str, dict[str, Any]]:
    """The form's schema version and the data the API would store for REPORT (checked, or it raises)."""
    from chalicelib.core.forms import FormRegistry
    from chalicelib.intake.validation import apply_defaults, validate

    form = FormRegistry.load().get(FORM)
    if form is None:
        raise RuntimeError(f"no form {FORM} in schemas/")
    data = apply_defaults(form, {name: value for name, value in REPORT.items() if name != "h-captcha-response"})
    errors = validate(form, data, "en")
    if errors:
        raise RuntimeError(f"the bench's report does not pass the form's schema: {errors}")
    return form.version, data


def record_at(moment: datetime, schema_version: str, data: dict[str, Any]) -> SubmissionRecord:
    received_at = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return SubmissionRecord(
        id=ids.new_submission_id(moment),
        form=FORM,
        schema_version=schema_version,
        received_at=received_at,
        data=data,
    )


def seed(bucket: str, moments: Sequence[datetime]) -> list[str]:
    """One stored submission per moment, in `bucket` of the moto server running in this process; their keys."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    backend = s3_backends[DEFAULT_ACCOUNT_ID]["global"]
    schema_version, data = report_data()
    keys = []
    for moment in moments:
        record = record_at(moment, schema_version, data)
        key = submission_key(record.form, record.id)
        backend.put_object(bucket, key, record.to_json())
        keys.append(key)
    return keys


class RequestLog(logging.Handler):
    """S3 requests to one bucket, by operation, read from the local AWS's request log while active."""

    def __init__(self, bucket: str) -> None:
        super().__init__(logging.INFO)
        self.bucket = bucket
        self.counts: Counter[str] = Counter()
        self._lock_counts = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        # 'GET /bucket/key?query HTTP/1.1' (coloured when not a 200), then the status and size.
        parts = ANSI.sub("", str(args[0]) if args else "").split()
        if len(parts) < 2:
            return
        method, target = parts[0], parts[1]
        path, _, query = target.lstrip("/").partition("?")
        if path.split("/", 1)[0] != self.bucket:
            return
        operation = "LIST" if method == "GET" and "list-type=2" in query else method
        with self._lock_counts:
            self.counts[operation] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def reset(self) -> None:
        with self._lock_counts:
            self.counts.clear()

    @contextmanager
    def active(self) -> Iterator[RequestLog]:
        """While inside: werkzeug's log at INFO, to this handler only (nothing printed)."""
        logger = logging.getLogger("werkzeug")
        level, propagate, handlers = logger.level, logger.propagate, logger.handlers
        logger.setLevel(logging.INFO)
        logger.propagate = False
        logger.handlers = [self]
        try:
            yield self
        finally:
            logger.handlers = handlers
            logger.setLevel(level)
            logger.propagate = propagate
