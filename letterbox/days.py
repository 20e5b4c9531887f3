"""Dates as an organizer types them: 2026-11-14, today, yesterday, 7d (seven days ago). UTC, as keys are."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import click

DAYS_AGO = re.compile(r"(\d{1,4})\s*d(ays?)?")


class Day(click.ParamType):  # type: ignore[type-arg]
    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        text = str(value).strip().lower()
        today = datetime.now(UTC).date()
        if text == "today":
            return today
        if text == "yesterday":
            return today - timedelta(days=1)
        if match := DAYS_AGO.fullmatch(text):
            return today - timedelta(days=int(match.group(1)))
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.fail(f"{value!r} is not a date: write 2026-11-14, today, yesterday or 7d (seven days ago)", param, ctx)


DAY = Day()
