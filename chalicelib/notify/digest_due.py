"""The "digest due" message the schedule puts on the notify queue: {form, period}, and nothing else.

    {"letterbox": "digest-due", "form": "action-report",
     "start": "2026-11-14T10:00:00Z", "end": "2026-11-14T11:00:00Z"}

It rides the queue S3's events ride, so a digest gets their retries, dead-letter queue and alarm.
The period travels whole: a digest already queued is sent for the period it was queued for, even
if letterbox.toml changed in between.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.core.digest_periods import Period
from chalicelib.notify.s3_events import MalformedEvent

KIND = "digest-due"
# A day is 23 to 25 hours across a daylight-saving change; an hour is one.
SHORTEST, LONGEST = timedelta(hours=1), timedelta(hours=25)


class MalformedDigestDue(MalformedEvent):
    """A message that says it is a digest but is not one we could have written."""


@dataclass(frozen=True)
class DigestDue:
    form: str
    period: Period

    @property
    def marker_id(self) -> str:
        """What the marker store keys it by (notified/digests/{form}/{period}): never a submission id."""
        return f"digests/{self.form}/{self.period.name}"

    def to_json(self) -> str:
        return json.dumps(
            {"letterbox": KIND, "form": self.form, "start": _text(self.period.start), "end": _text(self.period.end)}
        )


def digest_due_in(body: str) -> DigestDue | None:
    """The digest a queue message asks for; None for any other message (an S3 event)."""
    if KIND not in body:  # most messages are S3 events: no second JSON parse for them
        return None
    try:
        message = json.loads(body)
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("letterbox") != KIND:
        return None
    form, start, end = message.get("form"), _time(message.get("start")), _time(message.get("end"))
    if not isinstance(form, str) or not form or "/" in form or start is None or end is None:
        raise MalformedDigestDue("digest message without a form, start or end")
    if not SHORTEST <= end - start <= LONGEST:
        raise MalformedDigestDue("digest message with a period that is neither an hour nor a day")
    return DigestDue(form, Period(start, end))


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else None
