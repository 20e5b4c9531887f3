"""Writing export rows as CSV (for spreadsheets), JSON or NDJSON (for programs and cron)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import BinaryIO

from letterbox.fields import Field

FORMATS = ("csv", "json", "ndjson")
# A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel opens UTF-8 as UTF-8 only with a byte order mark; without it Cyrillic comes out garbled.
CSV_ENCODING = "utf-8-sig"


def neutralised(value: str) -> str:
    """A cell no spreadsheet evaluates: a leading apostrophe before what would start a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def write_rows(
    out: BinaryIO, form: str, columns: Sequence[Field], rows: Iterable[dict[str, str]], *, labels: bool = True
) -> int:
    """Write every row as `form` wants it; the number of rows written."""
    count = 0

    def counted() -> Iterator[dict[str, str]]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    writer = {"csv": _csv, "json": _json, "ndjson": _ndjson}[form]
    for chunk in writer(columns, counted(), labels):
        out.write(chunk)
    return count


def _csv(columns: Sequence[Field], rows: Iterable[dict[str, str]], labels: bool) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: quotes, CRLF between rows
    writer.writerow([neutralised(column.label if labels else column.name) for column in columns])
    yield buffer.getvalue().encode(CSV_ENCODING)
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([neutralised(row.get(column.name, "")) for column in columns])
        yield buffer.getvalue().encode()


def _json(columns: Sequence[Field], rows: Iterable[dict[str, str]], _labels: bool) -> Iterator[bytes]:
    separator = b"[\n"
    for row in rows:
        yield separator + _object(columns, row)
        separator = b",\n"
    yield b"[]\n" if separator == b"[\n" else b"\n]\n"


def _ndjson(columns: Sequence[Field], rows: Iterable[dict[str, str]], _labels: bool) -> Iterator[bytes]:
    for row in rows:
        yield _object(columns, row) + b"\n"


def _object(columns: Sequence[Field], row: dict[str, str]) -> bytes:
    # JSON carries the true value: a program reading it evaluates nothing.
    return json.dumps({column.name: row.get(column.name, "") for column in columns}, ensure_ascii=False).encode()
