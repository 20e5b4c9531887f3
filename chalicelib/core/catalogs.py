"""The translations: one gettext catalog per language, read with the standard library alone.

The English of every text is in the code, by key (e.g. chalicelib/intake/texts.py); each
language's catalog is chalicelib/locale/<lang>/LC_MESSAGES/letterbox.po, an entry per text
with the key as its context (msgctxt), the English as msgid and the translation as msgstr,
plural forms by CLDR's rules for the language. `make catalogs` (scripts/catalogs, with Babel)
adds new texts to every catalog and compiles each to the letterbox.mo read here; a test fails
while a text is missing from a catalog or a catalog holds a text the code no longer has.

A language is shipped when its compiled catalog is there: adding one is one new .po file.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Mapping
from html import escape
from pathlib import Path

# The English of a text, or of a text with a count: its singular and its plural.
English = str | tuple[str, str]

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "letterbox"
SOURCE_LANGUAGE = "en"
# The languages CLDR writes right to left (tests/test_catalogs.py checks this against Babel's CLDR data).
RIGHT_TO_LEFT = frozenset(
    {"apc", "ar", "ary", "bal", "bgn", "bqi", "brh", "ckb", "dv", "fa", "he", "ks", "lrc"}
    | {"mzn", "nqo", "ps", "rhg", "sd", "sdh", "skr", "syr", "trw", "ug", "ur", "yi"}
)


@functools.cache
def languages() -> tuple[str, ...]:
    """English, then every language with a compiled catalog, in alphabetical order."""
    compiled = sorted(path.parent.parent.name for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))
    return (SOURCE_LANGUAGE, *(lang for lang in compiled if lang != SOURCE_LANGUAGE))


def html_lang(lang: str) -> str:
    """The attributes of a page's <html> for `lang`: its lang, and dir="rtl" for a right-to-left language."""
    direction = ' dir="rtl"' if lang.split("-")[0].lower() in RIGHT_TO_LEFT else ""
    return f'lang="{escape(lang)}"{direction}'


@functools.cache
def _translations(lang: str) -> gettext.NullTranslations:
    if lang == SOURCE_LANGUAGE or lang not in languages():
        return gettext.NullTranslations()  # the English, as the code gives it
    with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as compiled:
        return gettext.GNUTranslations(compiled)


def text(key: str, english: str, lang: str) -> str:
    """The text `key` in `lang`; the English when the catalog has no translation of it."""
    return _translations(lang).pgettext(key, english)


def plural(key: str, one: str, other: str, n: int, lang: str) -> str:
    """The form of `key` for the number n, by the language's plural rules (Russian has three)."""
    return _translations(lang).npgettext(key, one, other, n)


# Counts tried for plural_samples: every form of every CLDR language shows up among them (French,
# Spanish and Italian keep one form for a million and its multiples).
_COUNTS_TRIED = (*range(200), 1_000_000)


@functools.cache
def plural_samples(lang: str) -> tuple[int, ...]:
    """The smallest count that takes each of the language's plural forms, in the catalog's order.

    English: (1, 0), one and other; Russian: (1, 2, 0), one, few and many. What the browser needs to
    name each form with Intl.PluralRules (chalicelib/intake/embed_texts.py).
    """
    translations = _translations(lang)
    form_of = getattr(translations, "plural", lambda n: int(n != 1))  # the catalog's rule; English's without one
    first: dict[int, int] = {}
    for n in _COUNTS_TRIED:
        first.setdefault(int(form_of(n)), n)
    return tuple(first[form] for form in sorted(first))


class Texts:
    """One registry's texts in one language: texts["key"], or texts.count("key", n) for a text with a {count}.

    `prefix` sets the registry's keys apart in the catalogs (the context of "yes" in the email's is "email.yes").
    """

    def __init__(self, registry: Mapping[str, English], lang: str, prefix: str = "") -> None:
        self._registry = registry
        self._lang = lang
        self._prefix = prefix

    def __getitem__(self, key: str) -> str:
        english = self._registry[key]
        if isinstance(english, tuple):
            raise TypeError(f"{key!r} is a text with a count: use count()")
        return text(self._prefix + key, english, self._lang)

    def count(self, key: str, n: int, **params: object) -> str:
        """The form for n, its {count} and other placeholders filled in."""
        english = self._registry[key]
        if not isinstance(english, tuple):
            raise TypeError(f"{key!r} has no plural forms")
        return plural(self._prefix + key, *english, n, self._lang).format(count=n, **params)
