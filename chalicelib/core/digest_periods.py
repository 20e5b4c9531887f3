"""Digest periods: which hour or day a submission belongs to, and which periods have closed.

Pure arithmetic on aware datetimes; no clock, no AWS. A form's choice (DigestChoice) comes from
letterbox.toml (`notify`, `digest_time`, `timezone`).

  hourly  the hours of UTC, [10:00, 11:00): the local clock's hours in every zone whose offset
          is whole hours (a half-hour zone gets them at half past)
  daily   from one local day's `digest_time` to the next day's, in `timezone`: 23 or 25 hours
          across a daylight-saving change, never a gap nor an overlap

Every instant is in exactly one period: start <= t < end, starts strictly increasing. A period is
due GRACE after its end, when every PUT the API accepted inside it has landed (the API's own
timeout is 28 s): a submission whose id says 10:59:59.999 is in the 10:00 digest, sent after 11:02.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

NOTIFY_MODES = ("each", "hourly", "daily")
# Longer than the API's 28 s timeout: a submission accepted just before the end is stored by then.
GRACE = timedelta(minutes=2)
HOUR = timedelta(hours=1)
# A longer window is a clock gone wrong, not a backlog: never enqueue more than this many periods at once.
MAX_PERIODS = 48


@dataclass(frozen=True)
class DigestChoice:
    """How a form's organizers are told: each submission, or one email per hour or per day."""

    notify: str = "each"
    digest_time: str = "00:00"  # daily digests: "HH:MM" on the organizers' clock
    timezone: str = "UTC"  # an IANA name, e.g. "Europe/Vilnius"

    @property
    def is_digest(self) -> bool:
        return self.notify != "each"

    @property
    def zone(self) -> ZoneInfo:
        from zoneinfo import ZoneInfo  # only where a digest is due: not on every cold start

        return ZoneInfo(self.timezone)

    @property
    def at(self) -> time:
        hours, minutes = self.digest_time.split(":")
        return time(int(hours), int(minutes))


@dataclass(frozen=True, order=True)
class Period:
    """[start, end) in UTC."""

    start: datetime
    end: datetime

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    @property
    def due(self) -> datetime:
        return self.end + GRACE

    @property
    def name(self) -> str:
        """Stable and key-safe: 20261114T1000Z-20261114T1100Z."""
        return f"{self.start:%Y%m%dT%H%MZ}-{self.end:%Y%m%dT%H%MZ}"


def period_containing(choice: DigestChoice, moment: datetime) -> Period:
    """The one period of `choice` that `moment` (aware) falls in."""
    moment = moment.astimezone(UTC)
    if choice.notify == "hourly":
        start = moment.replace(minute=0, second=0, microsecond=0)
        return Period(start, start + HOUR)
    if choice.notify == "daily":
        return _day_containing(choice, moment)
    raise ValueError(f"notify = {choice.notify!r} has no periods")


def _day_start(choice: DigestChoice, day: date) -> datetime:
    # fold=0: a time that occurs twice is its first occurrence; one skipped by the clock maps past the gap.
    return datetime.combine(day, choice.at, tzinfo=choice.zone).astimezone(UTC)


def _day_containing(choice: DigestChoice, moment: datetime) -> Period:
    day = moment.astimezone(choice.zone).date()
    # Starts increase with the day, so stepping finds the one day with start <= moment < next start.
    while _day_start(choice, day) > moment:
        day -= timedelta(days=1)
    while _day_start(choice, day + timedelta(days=1)) <= moment:
        day += timedelta(days=1)
    return Period(_day_start(choice, day), _day_start(choice, day + timedelta(days=1)))


def periods_due(choice: DigestChoice, after: datetime, until: datetime) -> Iterator[Period]:
    """The periods due in (after, until], oldest first; at most MAX_PERIODS."""
    if not choice.is_digest or until <= after:
        return
    period = period_containing(choice, after - GRACE)
    for _ in range(MAX_PERIODS + 2):
        if period.due > until:
            return
        if period.due > after:
            yield period
        period = period_containing(choice, period.end)


def local_label(moment: datetime, choice: DigestChoice) -> str:
    """A period boundary as the organizers read it: 2026-11-14 18:00, on their clock."""
    return f"{moment.astimezone(choice.zone):%Y-%m-%d %H:%M}"
