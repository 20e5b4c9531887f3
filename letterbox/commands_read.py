"""The commands that only read: list, show, export, files, stats."""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import click

from chalicelib.core.form_choices import known_form_names
from chalicelib.core.record import SubmissionRecord
from letterbox import catalog, downloads, fields, tables
from letterbox.catalog import Span
from letterbox.days import DAY
from letterbox.output import Meter, Output, meter
from letterbox.reading import THREADS, Found, RecordReader
from letterbox.run import Run, run_from, submission_id, where_options
from letterbox.stats import FormStats

F = TypeVar("F", bound=Callable[..., Any])
FORM = click.Choice(sorted(known_form_names()))
LIST_LIMIT = 50


def form_option(help_text: str) -> Callable[[F], F]:
    return click.option("--form", type=FORM, help=help_text)


def span_options(command: F) -> F:
    command = click.option("--until", type=DAY, help="Up to this day, included (UTC): 2026-11-30, today, 1d.")(command)
    return click.option("--since", type=DAY, help="From this day on (UTC): 2026-11-14, yesterday, 7d (a week ago).")(
        command
    )


def forms_to_read(run: Run, form: str | None) -> list[str]:
    if form:
        return [form]
    return sorted({*known_form_names(), *catalog.stored_forms(run.target.s3, run.target.bucket)})


def warn_unreadable(run: Run, reader: RecordReader) -> None:
    for key in reader.unreadable:
        run.out.note(f"skipped {key}: not a submission letterbox can read")
    if reader.sealed:
        run.out.note(
            f"{len(reader.sealed)} submission(s) are encrypted: only their clear fields are shown;"
            " add --identity FILE (your age key) to read them"
        )


def identity_option(command: F) -> F:
    return click.option(
        "--identity",
        "identity_files",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="An age identity file (from letterbox keygen or age-keygen) that opens encrypted forms; repeatable.",
    )(command)


def identities(files: tuple[Path, ...]) -> list[Any]:
    """The identities in every file given; none given, none loaded (and pyrage not imported)."""
    if not files:
        return []
    from chalicelib.core.sealing import read_identities

    return [identity for path in files for identity in read_identities(path)]


def reader_for(run: Run, identity_files: tuple[Path, ...]) -> RecordReader:
    return RecordReader(run.target.s3, run.target.bucket, identities=identities(identity_files))


@click.command(
    "list",
    short_help="Submissions, newest first, with their summary.",
    epilog="""\b
Examples:
  letterbox --stage prod list
  letterbox --stage prod list --form action-report --since 7d
  letterbox --local list --limit 0 --json > all.json""",
)
@form_option("Only this form.")
@span_options
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=LIST_LIMIT,
    show_default=True,
    help="Show at most this many (0: all).",
)
@identity_option
@where_options
@click.pass_context
def list_command(
    ctx: click.Context,
    /,
    form: str | None,
    since: date | None,
    until: date | None,
    limit: int,
    identity_files: tuple[Path, ...],
    **where: Any,
) -> None:
    """Submissions, newest first: id, form, when received, and the form's summary.

    Finding them takes S3 list pages only; the summary needs each shown submission read, so only
    the ones shown are read (--limit).
    """
    run = run_from(ctx, **where)
    found = catalog.entries(
        run.target.s3, run.target.bucket, forms_to_read(run, form), Span(since, until), newest_first=True
    )
    wanted = list(itertools.islice(found, limit + 1)) if limit else list(found)
    more = bool(limit) and len(wanted) > limit
    reader = reader_for(run, identity_files)
    shown = [
        (record, fields.summary(record, run.form(record.form), run.lang(record.form)))
        for _, record in reader.read_many(wanted[: limit or None])
    ]
    warn_unreadable(run, reader)
    if run.out.as_json:
        run.out.json([{"id": r.id, "form": r.form, "received": r.received_at, "summary": s} for r, s in shown])
    else:
        run.out.table(
            ["id", "form", "received", "summary"], [[r.id, r.form, received(run.out, r), s] for r, s in shown]
        )
    if more:
        run.out.note(f"the newest {limit} shown; --limit 0 shows all, --since narrows")
    elif not shown:
        run.out.note(f"no submissions in {run.target.label} for this choice")


def received(out: Output, record: SubmissionRecord) -> str:
    """On a terminal, to the minute; elsewhere exactly as stored."""
    return f"{record.received_at[:16].replace('T', ' ')} UTC" if out.terminal else record.received_at


@click.command(
    "show",
    short_help="One submission: every field and its files.",
    epilog="""\b
Examples:
  letterbox --stage prod show 01KAX3Z8W6V1R2F7D9QH0M4N5P
  letterbox --stage prod show 01KAX3Z8W6V1R2F7D9QH0M4N5P --lang ru""",
)
@click.argument("submission", metavar="ID", callback=submission_id)
@identity_option
@where_options
@click.pass_context
def show_command(ctx: click.Context, /, submission: str, identity_files: tuple[Path, ...], **where: Any) -> None:
    """Every field of one submission with its label, in the form's language, and its attachments."""
    run = run_from(ctx, **where)
    reader = reader_for(run, identity_files)
    record = find(run, submission, reader).record
    form, lang = run.form(record.form), run.lang(record.form)
    shown = fields.fields(record, form, lang)
    files = [(a.name, a.content_type, size_text(a.size)) for a in record.attachments]
    if run.out.as_json:
        run.out.json(
            {
                "id": record.id,
                "form": record.form,
                "received": record.received_at,
                "fields": [{"name": f.name, "label": f.label, "value": f.value} for f in shown],
                "attachments": [a.to_dict() for a in record.attachments],
                "encrypted": record.is_encrypted,
            }
        )
        warn_unreadable(run, reader)
        return
    run.out.line(f"{form.title(lang)} ({record.form}) {record.id}, received {record.received_at}")
    if record.is_encrypted:
        run.out.line("The content is encrypted: only the clear fields are shown (add --identity FILE to read it).")
    if run.out.terminal:
        run.out.table(["field", "value"], [[f.label, f.value] for f in shown])
        if files:
            run.out.table(["file", "type", "size"], [list(f) for f in files])
        return
    for f in shown:
        run.out.line(f"{f.label}: {f.value.replace(chr(10), chr(10) + '    ')}")
    for name, content_type, size in files:
        run.out.line(f"file: {name} ({content_type}, {size})")


def find(run: Run, submission: str, reader: RecordReader | None = None) -> Found:
    reader = reader or RecordReader(run.target.s3, run.target.bucket)
    found = reader.find(submission, known_form_names())
    if found is None:
        raise click.ClickException(f"no submission {submission} in {run.target.label}")
    return found


def size_text(size: int) -> str:
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)


@click.command(
    "export",
    short_help="Submissions to a CSV (spreadsheet), JSON or NDJSON file.",
    epilog="""\b
Examples:
  letterbox --stage prod export --form action-report --since 7d --out reports.csv
  letterbox --stage prod export --all --format ndjson > everything.ndjson
  letterbox --stage prod export --form letter-copy --out letters.csv --files letters-files

\b
CSV is UTF-8 with a byte order mark, so spreadsheets show Cyrillic right. A cell that starts
with = + - @, a tab or a carriage return gets a leading apostrophe (') so that no spreadsheet
runs it as a formula; JSON and NDJSON carry values unchanged. Running the same export again
into the same place rewrites the file and downloads only the attachments not there yet.""",
)
@form_option("Only this form.")
@click.option("--all", "all_forms", is_flag=True, help="Every form, in one file (a 'form' column tells them apart).")
@span_options
@click.option(
    "--format", "fmt", type=click.Choice(tables.FORMATS), default="csv", show_default=True, help="File format."
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (default: standard output)."
)
@click.option(
    "--files",
    "files_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also save attachments, as DIR/{id}/{name}.",
)
@click.option("--names", is_flag=True, help="CSV header with field names (kind, city) instead of labels.")
@identity_option
@where_options
@click.pass_context
def export_command(
    ctx: click.Context,
    /,
    form: str | None,
    all_forms: bool,
    since: date | None,
    until: date | None,
    fmt: str,
    out: Path | None,
    files_dir: Path | None,
    names: bool,
    identity_files: tuple[Path, ...],
    **where: Any,
) -> None:
    """One row per submission, oldest first: id, form, received, then each field of the form in its order."""
    if bool(form) == all_forms:
        raise click.UsageError("choose one form with --form NAME, or every form with --all")
    run = run_from(ctx, **where)
    chosen = forms_to_read(run, form)
    definitions = [run.form(name) for name in chosen]
    columns = fields.export_columns(definitions, {name: run.lang(name) for name in chosen})
    reader = reader_for(run, identity_files)
    found = catalog.entries(run.target.s3, run.target.bucket, chosen, Span(since, until), newest_first=False)
    with (
        meter(run.out) as progress,
        Attachments(run, files_dir, progress, reader.identities) as attachments,
        opened(out) as stream,
    ):
        progress.items(None, "submissions")
        rows = (row_of(run, record, columns, attachments, progress) for _, record in reader.read_many(found))
        count = tables.write_rows(stream, fmt, columns, rows, labels=not names)
    warn_unreadable(run, reader)
    where_to = str(out) if out else "standard output"
    run.out.note(f"exported {count} submissions to {where_to}{attachments.summary()}")


def row_of(
    run: Run, record: SubmissionRecord, columns: list[fields.Field], attachments: Attachments, progress: Meter
) -> dict[str, str]:
    attachments.save(record, None)
    progress.item_done()
    return fields.export_row(record, run.form(record.form), run.lang(record.form), columns)


@contextmanager
def opened(out: Path | None) -> Iterator[BinaryIO]:
    """The file, written whole or not at all (a failed run leaves the previous export), or standard output."""
    if out is None:
        sys.stdout.flush()
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    partial = out.with_name(f".{out.name}.partial")
    try:
        with partial.open("wb") as stream:
            yield stream
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


class Attachments:
    """Saves attachments in the background with a few threads, skipping those already there."""

    def __init__(self, run: Run, root: Path | None, progress: Meter, identities: Sequence[Any] = ()) -> None:
        self._run, self._root, self._progress = run, root, progress
        self._identities = identities  # open an encrypted form's files (they are stored as age ciphertext)
        self._pool = ThreadPoolExecutor(THREADS)
        self._pending: list[Future[None]] = []
        self.saved = self.skipped = 0

    def __enter__(self) -> Attachments:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            for future in self._pending:
                future.result()  # a failed download fails the command, after the others finished
        finally:
            self._pool.shutdown()

    def save(self, record: SubmissionRecord, folder: Path | None) -> list[downloads.PlannedFile]:
        """Plan and start the downloads of one record's files, into `folder` (default: ROOT/{id})."""
        target = folder or (self._root / record.id if self._root else None)
        if target is None:
            return []
        planned = downloads.plan(record.attachments, target)
        for item in planned:
            if downloads.already_there(item):
                self.skipped += 1
                continue
            self._progress.add_bytes(item.attachment.size)
            self._pending.append(self._pool.submit(self._download, item))
        return planned

    def _download(self, item: downloads.PlannedFile) -> None:
        target = self._run.target
        downloads.download(target.s3, target.bucket, item, self._progress.bytes_done, self._open_sealed)
        self.saved += 1  # under the GIL an int increment from pool threads is safe enough for a count shown

    def _open_sealed(self, ciphertext: bytes) -> bytes:
        from chalicelib.core.sealing import CannotOpen, open_file  # pyrage: only for encrypted files

        try:
            return open_file(ciphertext, self._identities)
        except CannotOpen as error:
            raise click.ClickException(f"cannot decrypt a file: {error}") from None

    def summary(self) -> str:
        if self._root is None:
            return ""
        return f"; files in {self._root}: {self.saved} downloaded, {self.skipped} already there"


@click.command(
    "files",
    short_help="Save one submission's attachments.",
    epilog="""\b
Example:
  letterbox --stage prod files 01KAX3Z8W6V1R2F7D9QH0M4N5P --out scans""",
)
@click.argument("submission", metavar="ID", callback=submission_id)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Save into this folder (default: a folder named after the id).",
)
@identity_option
@where_options
@click.pass_context
def files_command(
    ctx: click.Context, /, submission: str, out: Path | None, identity_files: tuple[Path, ...], **where: Any
) -> None:
    """Save the attachments of one submission, under their original names (an encrypted form's, with --identity)."""
    run = run_from(ctx, **where)
    reader = reader_for(run, identity_files)
    record = find(run, submission, reader).record
    folder = out or Path(submission)
    if record.is_encrypted and record.attachments:
        run.out.note("the files are encrypted (saved as .age): add --identity FILE to save them as they were sent")
    with meter(run.out) as progress, Attachments(run, None, progress, reader.identities) as attachments:
        planned = attachments.save(record, folder)
    if run.out.as_json:
        run.out.json([{"name": p.attachment.name, "path": str(p.path), "size": p.attachment.size} for p in planned])
        return
    run.out.table(
        ["file", "saved as", "size"], [[p.attachment.name, str(p.path), size_text(p.attachment.size)] for p in planned]
    )
    if not planned:
        run.out.note(f"submission {submission} has no attachments")
    else:
        run.out.note(f"{attachments.saved} downloaded, {attachments.skipped} already there")


@click.command(
    "stats",
    short_help="Counts per form, per day, per choice.",
    epilog="""\b
Examples:
  letterbox --stage prod stats
  letterbox --stage prod stats --form action-report --since 2026-11-01 --json > stats.json""",
)
@form_option("Only this form.")
@span_options
@identity_option
@where_options
@click.pass_context
def stats_command(
    ctx: click.Context,
    /,
    form: str | None,
    since: date | None,
    until: date | None,
    identity_files: tuple[Path, ...],
    **where: Any,
) -> None:
    """How many submissions per form and per day, and how many per choice (kind, country, language...)."""
    run = run_from(ctx, **where)
    chosen = forms_to_read(run, form)
    per_form = {name: FormStats(run.form(name), run.lang(name)) for name in chosen}
    reader = reader_for(run, identity_files)
    found = catalog.entries(run.target.s3, run.target.bucket, chosen, Span(since, until), newest_first=False)
    with meter(run.out) as progress:
        progress.items(None, "submissions")
        for entry, record in reader.read_many(found):
            per_form[entry.form].add(entry, record)
            progress.item_done()
    warn_unreadable(run, reader)
    counted = {name: stats for name, stats in per_form.items() if stats.count}
    if run.out.as_json:
        run.out.json(
            {"total": sum(s.count for s in counted.values()), "forms": {n: s.as_dict() for n, s in counted.items()}}
        )
        return
    print_stats(run.out, counted)


def print_stats(out: Output, counted: dict[str, FormStats]) -> None:
    """Tables on a terminal; piped, one line per number, its first word saying which kind."""
    days: dict[str, int] = {}
    for stats in counted.values():
        for day, count in stats.days.items():
            days[day] = days.get(day, 0) + count
    if not out.terminal:
        lines = [["form", n, str(s.count)] for n, s in counted.items()] + [
            ["day", d, str(n)] for d, n in sorted(days.items())
        ]
        for name, stats in counted.items():
            lines += [
                ["field", name, f, value, str(c)]
                for f, tally in stats.fields.items()
                for value, c in tally.as_dict().items()
            ]
        out.table([], lines)
        return
    out.table(
        ["form", "title", "submissions"],
        [[n, s.form.title(s.lang), str(s.count)] for n, s in counted.items()],
        "Per form",
    )
    out.table(["day", "submissions"], [[day, str(n)] for day, n in sorted(days.items())], "Per day")
    for name, stats in counted.items():
        for field_name, tally in stats.fields.items():
            label = stats.form.label(field_name, stats.lang)
            rows = [[value, str(n)] for value, n in tally.as_dict().items()]
            out.table([label, "submissions"], rows, f"{name}: {label} ({len(rows)} different)")
