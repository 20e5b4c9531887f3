"""How results reach the organizer: tables on a terminal, plain lines when piped, JSON when asked."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from letterbox.fields import one_line, printable


class Output:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.console = Console(highlight=False)
        self.errors = Console(stderr=True, highlight=False)

    @property
    def terminal(self) -> bool:
        return not self.as_json and self.console.is_terminal

    def json(self, data: Any) -> None:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[str]], title: str | None = None) -> None:
        """A table on a terminal; else one tab-separated line per row, without the header (for cut and awk)."""
        if self.terminal:
            if title:
                self.console.print(Text(title, style="bold"))
            table = Table(box=box.SIMPLE_HEAD)
            for n, column in enumerate(columns):
                # Ids, names and dates whole; only the last column (summaries, values) wraps.
                table.add_column(column, no_wrap=n < len(columns) - 1)
            for row in rows:
                table.add_row(*(Text(printable(cell)) for cell in row))
            self.console.print(table)
            return
        for row in rows:
            click.echo("\t".join(one_line(cell) for cell in row))

    def line(self, text: str = "") -> None:
        """A sentence for the organizer, on standard output."""
        if self.terminal:
            self.console.print(Text(printable(text)))
        else:
            click.echo(printable(text))

    def note(self, text: str) -> None:
        """A hint or warning, on standard error: piped output stays data."""
        if self.errors.is_terminal:
            self.errors.print(Text(printable(text)), style="dim")
        else:
            click.echo(printable(text), err=True)


class AmountColumn(ProgressColumn):
    """12/40 for items, 3.1/9.8 MB for bytes: one progress display for both."""

    def __init__(self) -> None:
        super().__init__()
        self._items, self._bytes = MofNCompleteColumn(), DownloadColumn()

    def render(self, task: Task) -> Text:
        return self._bytes.render(task) if task.fields.get("unit") == "bytes" else self._items.render(task)


class Meter:
    """Progress in items and bytes, drawn on standard error only when it is a terminal."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._items: TaskID | None = None
        self._bytes: TaskID | None = None

    def items(self, total: int | None, what: str) -> None:
        if self._progress is not None:
            self._items = self._progress.add_task(what, total=total)

    def item_done(self) -> None:
        if self._progress is not None and self._items is not None:
            self._progress.advance(self._items)

    def add_bytes(self, count: int) -> None:
        if self._progress is None:
            return
        if self._bytes is None:
            self._bytes = self._progress.add_task("files", total=0, unit="bytes")
        task = self._progress.tasks[self._bytes]
        self._progress.update(self._bytes, total=(task.total or 0) + count)

    def bytes_done(self, count: int) -> None:
        if self._progress is not None and self._bytes is not None:
            self._progress.advance(self._bytes, count)


@contextmanager
def meter(output: Output) -> Iterator[Meter]:
    if not output.errors.is_terminal or not sys.stderr.isatty():
        yield Meter(None)
        return
    columns = (TextColumn("{task.description}"), BarColumn(), AmountColumn(), TimeRemainingColumn())
    with Progress(*columns, console=output.errors, transient=True) as progress:
        yield Meter(progress)
