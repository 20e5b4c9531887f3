"""The fuzz suite's own checks catch what they are for: an invariant that cannot fail proves nothing."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import CAMPAIGN_ORIGIN
from tests.fuzz.checks import check_location, check_logs
from tests.fuzz.strategies import FORM_TYPE, JSON_TYPE, NAUGHTY, FuzzRequest, normalise, rotation


def record(message: str, *args: object, name: str = "chalicelib.intake.submissions") -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, message, args, None)


def test_a_submitted_value_in_a_log_line_is_caught_as_sent_and_as_stored() -> None:
    with pytest.raises(AssertionError, match="Berlin Mitte"):
        check_logs([record("refused city=%s", "Berlin Mitte")], ["Berlin Mitte"], [], "test")
    with pytest.raises(AssertionError, match="first\\\\nsecond"):
        check_logs([record("text=%s", "first\nsecond")], ["first\r\nsecond"], [], "test")


def test_the_log_check_ignores_a_lines_own_words_names_it_may_give_and_the_emulator() -> None:
    check_logs(
        [record("submission stored form=%s", "action-report")], ["stored", "action-report"], ["action-report"], "t"
    )
    check_logs([record('"PUT /b/Berlin Mitte HTTP/1.1"', name="werkzeug")], ["Berlin Mitte"], [], "t")
    check_logs([record("id=%s", "01K0000000")], ["x", "aaaaaa"], [], "t")  # short or monotonous: no signal


def test_the_logs_fixture_sees_the_apps_own_logger(logs: pytest.LogCaptureFixture) -> None:
    logging.getLogger("letterbox").debug("from the app logger")
    logging.getLogger("chalicelib.notify").debug("from a module logger")

    assert [r.getMessage() for r in logs.records] == ["from the app logger", "from a module logger"]


@pytest.mark.parametrize(
    "location",
    [
        "https://evil.example/",
        f"{CAMPAIGN_ORIGIN}@evil.example/",
        f"{CAMPAIGN_ORIGIN}.evil.example/",
        "//evil.example",
        f"{CAMPAIGN_ORIGIN}/a\r\nSet-Cookie: x",
        f"{CAMPAIGN_ORIGIN}/спасибо",
        "thanks?lang=de",
    ],
)
def test_a_redirect_off_the_forms_sites_or_not_ascii_is_caught(location: str) -> None:
    with pytest.raises(AssertionError):
        check_location(location, "test")


@pytest.mark.parametrize("location", ["thanks?lang=ru", f"{CAMPAIGN_ORIGIN}/thanks", "HTTPS://CAMPAIGN.EXAMPLE/x"])
def test_redirects_to_the_thanks_page_or_the_forms_own_site_pass(location: str) -> None:
    check_location(location, "test")


def test_the_rotation_puts_every_naughty_string_in_every_slot() -> None:
    slots = 7
    seen: list[set[str]] = [set() for _ in range(slots)]
    for offset in range(len(NAUGHTY)):
        for slot, text in enumerate(rotation(NAUGHTY, slots, offset)):
            seen[slot].add(text)

    assert all(found == set(NAUGHTY) for found in seen)


def test_the_corpus_is_the_big_list_of_naughty_strings_read_offline() -> None:
    assert len(NAUGHTY) > 500
    assert "<script>alert(123)</script>" in NAUGHTY
    assert "" in NAUGHTY


@pytest.mark.parametrize(
    ("content_type", "body", "filled"),
    [
        (JSON_TYPE, b'{"_gotcha": "http://spam.example"}', True),
        (JSON_TYPE, b'{"_gotcha": ""}', False),
        (FORM_TYPE, b"_gotcha=&_gotcha=x", True),
        (FORM_TYPE, b"_gotcha=x&_gotcha=", False),
        ("text/plain", b'{"_gotcha": "x"}', False),
    ],
)
def test_a_filled_honeypot_is_read_as_the_convention_says(content_type: str, body: bytes, filled: bool) -> None:
    request = FuzzRequest(form="action-report", headers={"Content-Type": content_type}, body=body, kind="raw")

    assert request.honeypot_filled is filled


def test_normalise_is_what_the_api_documents() -> None:
    assert normalise({"a": ["x\r\ny\rz\x00\x1b\x7f\x85\tw"]}) == {"a": ["x\ny\nz\tw"]}
