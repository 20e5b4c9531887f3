"""Digest periods (chalicelib/core/digest_periods.py), the digest keys of letterbox.toml, the schedule's
window and the "digest due" message: pure logic, no server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.core import config_file
from chalicelib.core.config_keys import ConfigError
from chalicelib.core.digest_periods import GRACE, DigestChoice, Period, period_containing, periods_due
from chalicelib.core.settings import DigestChoices
from chalicelib.notify.digest_due import DigestDue, MalformedDigestDue, digest_due_in
from chalicelib.notify.digest_schedule import DigestScheduler, _delay

HOURLY = DigestChoice("hourly")
VILNIUS = DigestChoice("daily", "18:00", "Europe/Vilnius")
FORMS = frozenset({"action-report", "letter-copy"})


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def test_an_hourly_period_is_the_utc_hour_and_the_last_millisecond_belongs_to_it() -> None:
    last = utc(2026, 11, 14, 10, 59, 59, 999000)

    assert period_containing(HOURLY, last) == Period(utc(2026, 11, 14, 10), utc(2026, 11, 14, 11))
    assert period_containing(HOURLY, utc(2026, 11, 14, 11)) == Period(utc(2026, 11, 14, 11), utc(2026, 11, 14, 12))
    assert not period_containing(HOURLY, utc(2026, 11, 14, 11)).contains(last)


def test_a_daily_period_runs_from_one_local_digest_time_to_the_next() -> None:
    # Vilnius is UTC+2 in November: 18:00 there is 16:00 UTC.
    before = period_containing(VILNIUS, utc(2026, 11, 14, 15, 59, 59, 999000))
    after = period_containing(VILNIUS, utc(2026, 11, 14, 16))

    assert before == Period(utc(2026, 11, 13, 16), utc(2026, 11, 14, 16))
    assert after == Period(utc(2026, 11, 14, 16), utc(2026, 11, 15, 16))
    assert after.start.astimezone(ZoneInfo("Europe/Vilnius")).hour == 18


@pytest.mark.parametrize(
    ("day", "hours"),
    [((2026, 3, 29), 23), ((2026, 10, 25), 25), ((2026, 6, 1), 24)],  # Europe changes clocks on those Sundays
)
def test_a_daily_period_across_a_daylight_saving_change_is_23_or_25_hours(
    day: tuple[int, int, int], hours: int
) -> None:
    period = period_containing(DigestChoice("daily", "02:30", "Europe/Vilnius"), utc(*day, 12))

    assert period.end - period.start == timedelta(hours=hours)


@pytest.mark.parametrize(
    "choice",
    [
        HOURLY,
        VILNIUS,
        DigestChoice("daily", "00:00", "America/Santiago"),  # DST changes at midnight there
        DigestChoice("daily", "03:30", "Europe/Vilnius"),  # a time the spring change skips
        DigestChoice("daily", "03:30", "Australia/Lord_Howe"),  # a half-hour DST change
        DigestChoice("daily", "23:59", "Asia/Kolkata"),
    ],
)
def test_every_instant_of_a_year_is_in_exactly_one_period(choice: DigestChoice) -> None:
    moment, end = utc(2026, 1, 1), utc(2027, 1, 1)
    period = period_containing(choice, moment)
    while period.start < end:
        following = period_containing(choice, period.end)
        assert following.start == period.end  # no gap, no overlap
        assert period_containing(choice, period.end - timedelta(milliseconds=1)) == period
        assert period_containing(choice, period.start) == period
        period = following


def test_periods_due_in_a_window_are_each_listed_once_oldest_first() -> None:
    due = list(periods_due(HOURLY, utc(2026, 11, 14, 10, 45), utc(2026, 11, 14, 12, 15)))

    assert [p.start.hour for p in due] == [10, 11]  # due at 11:02 and 12:02
    assert all(p.due == p.end + GRACE for p in due)
    assert list(periods_due(DigestChoice(), utc(2026, 11, 14), utc(2026, 11, 15))) == []


def test_consecutive_schedule_runs_queue_every_period_and_each_a_few_times() -> None:
    scheduler = DigestScheduler(lambda: None, "q", DigestChoices(HOURLY), FORMS)  # type: ignore[arg-type,return-value]
    runs = [utc(2026, 11, 14) + timedelta(minutes=15 * n) for n in range(4 * 24)]

    queued = [item for now in runs for item in scheduler.due(now)]

    periods = {(item.form, item.period.start) for item in queued}
    assert len(periods) == 2 * 24  # both forms, every hour of the day (and none missing)
    assert max(queued.count(item) for item in queued) == 3  # once ahead, twice more after
    assert all(_delay(item, now) <= 900 for now in runs for item in scheduler.due(now))


def test_a_digest_queued_ahead_is_delayed_until_it_is_due() -> None:
    item = DigestDue("action-report", Period(utc(2026, 11, 14, 10), utc(2026, 11, 14, 11)))

    assert _delay(item, utc(2026, 11, 14, 10, 50)) == 12 * 60  # due at 11:02
    assert _delay(item, utc(2026, 11, 14, 11, 15)) == 0


def test_the_digest_message_round_trips_and_other_messages_are_not_one() -> None:
    item = DigestDue("action-report", Period(utc(2026, 11, 14, 10), utc(2026, 11, 14, 11)))

    assert digest_due_in(item.to_json()) == item
    assert item.marker_id == "digests/action-report/20261114T1000Z-20261114T1100Z"
    assert digest_due_in('{"Records": []}') is None
    assert digest_due_in("not json, digest-due") is None


@pytest.mark.parametrize(
    "body",
    [
        '{"letterbox": "digest-due", "form": "action-report"}',
        '{"letterbox": "digest-due", "form": "a/b", "start": "2026-11-14T10:00:00Z", "end": "2026-11-14T11:00:00Z"}',
        '{"letterbox": "digest-due", "form": "x", "start": "2026-11-14T10:00:00Z", "end": "2026-11-20T11:00:00Z"}',
        '{"letterbox": "digest-due", "form": "x", "start": "2026-11-14T10:00:00", "end": "2026-11-14T11:00:00"}',
    ],
)
def test_a_broken_digest_message_is_malformed(body: str) -> None:
    with pytest.raises(MalformedDigestDue):
        digest_due_in(body)


def test_the_digest_keys_are_read_per_form_and_stage_from_letterbox_toml() -> None:
    config = config_file.parse(
        """
        notify = "daily"
        digest_time = "9:05"
        timezone = "Europe/Vilnius"
        [forms.letter-copy]
        notify = "each"
        [stages.dev.forms.action-report]
        digest_time = 18:30:00
        """,
        forms=FORMS,
    )

    choices = DigestChoices.from_env({"LETTERBOX_STAGE": "dev"}, config=config)

    assert choices.for_form("action-report") == DigestChoice("daily", "18:30", "Europe/Vilnius")
    assert choices.for_form("letter-copy") == DigestChoice("each", "09:05", "Europe/Vilnius")
    assert choices.for_form("unnamed") == DigestChoice("daily", "09:05", "Europe/Vilnius")
    assert config.lookup("dev", "action-report") == {}  # FormOptions never sees them


def test_the_environment_overrides_a_digest_key_for_every_form() -> None:
    config = config_file.parse('[forms.letter-copy]\nnotify = "daily"\n', forms=FORMS)
    env = {"LETTERBOX_NOTIFY": "Hourly", "LETTERBOX_TIMEZONE": "Asia/Kolkata"}

    choices = DigestChoices.from_env(env, config=config)

    assert choices.for_form("letter-copy") == DigestChoice("hourly", "00:00", "Asia/Kolkata")
    with pytest.raises(ConfigError, match=r"^LETTERBOX_DIGEST_TIME: '6pm' is not a time of day like \"18:00\""):
        DigestChoices.from_env({"LETTERBOX_DIGEST_TIME": "6pm"}, config=config)


def test_wrong_digest_keys_are_refused_with_the_line_the_form_and_the_key() -> None:
    text = '[forms.action-report]\nnotify = "weekly"\ndigest_time = "24:00"\ntimezone = "Europe/Vilnus"\n'

    with pytest.raises(ConfigError) as refused:
        config_file.parse(text, forms=FORMS)

    assert str(refused.value).splitlines() == [
        "letterbox.toml line 2: forms.action-report.notify: 'weekly' is not a way to notify organizers "
        "(each, hourly, daily)",
        "letterbox.toml line 3: forms.action-report.digest_time: '24:00' is not a time of day like \"18:00\" "
        "(24-hour clock, hours and minutes)",
        "letterbox.toml line 4: forms.action-report.timezone: 'Europe/Vilnus' is not a time zone like "
        "\"Europe/Vilnius\" (an IANA name); did you mean 'Europe/Vilnius'?",
    ]


def test_a_misspelt_digest_key_gets_a_suggestion() -> None:
    with pytest.raises(ConfigError, match="unknown key: did you mean 'notify'"):
        config_file.parse('notfy = "daily"\n', forms=FORMS)


def test_time_zones_come_from_the_tzdata_package_where_the_os_has_none() -> None:
    import zoneinfo

    zoneinfo.reset_tzpath(to=[])  # as on a Lambda image without /usr/share/zoneinfo
    try:
        vilnius = ZoneInfo.no_cache("Europe/Vilnius")
    finally:
        zoneinfo.reset_tzpath()

    assert utc(2026, 11, 14, 16).astimezone(vilnius).hour == 18
