"""Accept-Language to one of the shipped languages (chalicelib/intake/texts.py negotiate_language)."""

from __future__ import annotations

import pytest

from chalicelib.core import catalogs
from chalicelib.intake.texts import MAX_RANGES, negotiate_language


def test_english_and_the_four_translations_are_shipped() -> None:
    assert catalogs.languages()[0] == "en"
    assert {"de", "es", "fr", "ru"} <= set(catalogs.languages())


@pytest.mark.parametrize(
    ("header", "chosen"),
    [
        ("fr", "fr"),
        ("de", "de"),
        ("es", "es"),
        ("ru", "ru"),
        # A regional tag is its language: the catalogs are one per language.
        ("fr-CA", "fr"),
        ("de-AT", "de"),
        ("es-419", "es"),
        ("pt-BR,es-419;q=0.8", "es"),
        ("DE-ch", "de"),
        # The highest quality wins, wherever it is in the header.
        ("fr-CA;q=0.9, de", "de"),
        ("fr-CA,fr;q=0.9,en;q=0.8", "fr"),
        ("en-US,en;q=0.9,ru;q=0.8", "en"),
        ("pl, ru;q=0.3", "ru"),
        ("ru;q=0.2, fr-CA;q=0.9, fr;q=0.1", "fr"),
        (" es ; q=0.7 ,de;q=0.6", "es"),
        # Equal qualities: the one written first.
        ("fr;q=0.5, es;q=0.5", "fr"),
        ("es, fr", "es"),
        # "*" is any language the header does not name; English comes first among equals.
        ("*;q=0.1", "en"),
        ("*", "en"),
        ("ru;q=0.5, *;q=0.9", "en"),
        ("en;q=0, *;q=0.5", "de"),
        ("fr, *;q=0.1", "fr"),
        # q=0 refuses a language; a malformed q counts for nothing.
        ("fr;q=0", "en"),
        ("fr;q=0.000, de;q=0.001", "de"),
        ("fr;q=abc, de;q=0.2", "de"),
        ("fr;q=2, de;q=0.2", "de"),
        ("fr;q=nan, es;q=0.3", "es"),
        ("fr;q=0.1234, es;q=0.3", "es"),
        ("fr;Q=0.3, de;q=0.2", "fr"),
        # Nothing we have: English.
        ("pl, uk;q=0.9", "en"),
        ("", "en"),
        (None, "en"),
        (",,;;,", "en"),
        ("q=1", "en"),
    ],
)
def test_accept_language_picks_the_best_shipped_language(header: str | None, chosen: str) -> None:
    assert negotiate_language(header) == chosen


def test_a_long_header_is_read_only_as_far_as_a_browser_writes() -> None:
    """The cost of the 100,000th request: a header of thousands of ranges reads no further than MAX_RANGES."""
    filler = ",".join(["pl;q=0.5"] * (MAX_RANGES - 1))
    assert negotiate_language(f"{filler},fr;q=0.9") == "fr"
    assert negotiate_language(f"{filler},pl,fr;q=0.9") == "en"
    assert negotiate_language(",".join(["pl"] * 100_000) + ",fr") == "en"
