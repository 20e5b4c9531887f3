"""The translation catalogs (chalicelib/locale/, scripts/catalogs.py): complete, current, and used."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.core import catalogs
from chalicelib.intake.texts import MESSAGES

ROOT = Path(__file__).resolve().parent.parent
# scripts/ is not a package: the tool is loaded from its file, as `python scripts/catalogs.py` runs it.
_spec = importlib.util.spec_from_file_location("catalogs_tool", ROOT / "scripts" / "catalogs.py")
assert _spec is not None
assert _spec.loader is not None
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)
# The embed scripts' own code, not the bundled age library (letterbox-age.js's source only imports it).
EMBED_SOURCES = sorted((ROOT / "embed" / "src").glob("letterbox*.js"))


def test_every_text_is_in_every_catalog_translated_and_compiled() -> None:
    found = list(tool.problems())
    assert found == [], "\n".join(found)


def test_every_text_of_the_registries_is_used_by_the_code() -> None:
    """A key no code names is a text nobody reads: the catalogs would carry it for nothing.

    The embed's texts are named in the scripts' sources (embed/src/*.js), which GET /forms/{form} sends them to.
    """
    registries = {module.replace(".", "/") + ".py" for module, _, _ in (r.partition(":") for r in tool.REGISTRIES)}
    sources = [*(ROOT / "chalicelib").rglob("*.py"), *(ROOT / "letterbox").rglob("*.py"), *EMBED_SOURCES]
    code = "\n".join(
        path.read_text(encoding="utf-8") for path in sources if str(path.relative_to(ROOT)) not in registries
    )
    prefixes = sorted((prefix for prefix in tool.REGISTRIES.values() if prefix), key=len, reverse=True)
    keys = [key.removeprefix(next((p for p in prefixes if key.startswith(p)), "")) for key in tool.registered()]
    # The forms' texts (form.*) are the schemas' own: a schema uses each of them.
    code_keys = [key for key in keys if not key.startswith("form.")]
    unused = [key for key in code_keys if not re.search(rf"[\"']{re.escape(key)}[\"']", code)]
    assert unused == []


def test_a_missing_translation_or_a_wrong_placeholder_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locale = tmp_path / "locale"
    shutil.copytree(catalogs.LOCALE_DIR, locale)
    po = locale / "ru" / "LC_MESSAGES" / "letterbox.po"
    text = po.read_text(encoding="utf-8")
    text = text.replace('msgstr "Это поле обязательно."', 'msgstr ""')
    text = text.replace('msgstr "Нужно ввести {expected}."', 'msgstr "Нужно ввести {ожидается}."')
    po.write_text(text, encoding="utf-8")
    monkeypatch.setattr(tool, "LOCALE_DIR", locale)
    monkeypatch.setattr(tool, "ROOT", tmp_path)

    found = list(tool.problems())

    assert "locale/ru/LC_MESSAGES/letterbox.po: required: not translated" in found
    assert any(line.startswith("locale/ru/LC_MESSAGES/letterbox.po: type: placeholders") for line in found)
    assert "locale/ru/LC_MESSAGES/letterbox.mo: not compiled from the catalog as it is (run `make catalogs`)" in found


def test_a_text_added_to_the_code_is_reported_until_translated(monkeypatch: pytest.MonkeyPatch) -> None:
    original = tool.registered
    monkeypatch.setattr(tool, "registered", lambda: {**original(), "brand_new": "A new text."})

    found = list(tool.problems())

    assert (
        "chalicelib/locale/ru/LC_MESSAGES/letterbox.po: brand_new: missing (run `make catalogs`, then translate it)"
        in found
    )


def test_russian_plurals_follow_cldr() -> None:
    pair = MESSAGES["min_length"]
    assert isinstance(pair, tuple)
    one, other = pair
    forms = {n: catalogs.plural("min_length", one, other, n, "ru") for n in (1, 3, 5, 11, 21, 112)}
    assert forms[1] == forms[21] == "Не короче {n} символа."
    assert forms[3] == forms[5] == forms[11] == forms[112] == "Не короче {n} символов."


def test_the_check_command_exits_non_zero_on_a_problem_and_zero_now() -> None:
    done = subprocess.run(
        [sys.executable, "scripts/catalogs.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = done.stdout.splitlines()
    assert (done.returncode, lines[0]) == (0, "every catalog is complete and compiled")
    # What waits for a review is said, not counted as a problem.
    waiting = tool.unreviewed()
    assert lines[1:] == [
        "entries waiting for a native speaker's review (# UNREVIEWED): "
        + ", ".join(f"{lang} {count}" for lang, count in waiting.items() if count)
    ]


def test_the_forms_texts_come_from_the_catalogs_into_emails_and_the_definition(app_env: dict[str, str]) -> None:
    """A schema holds English only; the embed's definition carries every shipped language, from the catalogs."""
    from chalice.test import Client

    from app import app
    from chalicelib.core.forms import FormRegistry

    form = FormRegistry.load(validators=False).get("action-report")
    assert form is not None
    assert "x-labels" not in form.schema
    assert form.title("ru") == "Сообщить об акции"
    assert form.enum_label("kind", "picket", "ru") == "Пикет или митинг"
    assert form.text("submit", "ru") == "Отправить отчёт"
    with Client(app, stage_name="test") as client:
        definition = json.loads(client.http.get("/forms/action-report").body)
    schema = definition["schema"]
    assert schema["x-labels"]["ru"]["title"] == "Сообщить об акции"
    assert schema["properties"]["kind"]["x-labels"]["ru"]["title"] == form.label("kind", "ru")
    assert schema["properties"]["kind"]["x-enum-labels"]["ru"]["picket"] == "Пикет или митинг"
    assert schema["properties"]["kind"]["x-enum-labels"]["en"]["picket"] == "Picket or rally"
    assert schema["x-letterbox"]["success"] == {lang: form.text("success", lang) for lang in catalogs.languages()}
    assert {"en", "de", "es", "fr", "ru"} <= schema["x-letterbox"]["success"].keys()
    assert schema["x-letterbox"]["success"]["en"] == "Thank you. Your report has reached the organizers."
    assert schema["x-letterbox"]["success"]["de"] == "Vielen Dank. Ihr Bericht ist beim Organisationsteam angekommen."
    assert schema["properties"]["kind"]["x-enum-labels"]["es"]["picket"] == "Concentración o manifestación"
    assert schema["x-labels"]["fr"]["title"] == "Signaler une action"


MACHINE_MADE = ("de", "es", "fr")


@pytest.mark.parametrize(
    ("lang", "forms"),
    [
        # French: one for 0 and 1, "many" for a million and its multiples ("1000000 de caractères"), other.
        ("fr", {0: "Au moins {n} caractère.", 1: "Au moins {n} caractère.", 2: "Au moins {n} caractères.",
                 1_000_000: "Au moins {n} de caractères.", 1_000_001: "Au moins {n} caractères."}),
        # Spanish: one for 1 only, "many" as in French ("1000000 de caracteres"), other (0 too).
        ("es", {1: "Al menos {n} carácter.", 0: "Al menos {n} caracteres.", 2: "Al menos {n} caracteres.",
                 3_000_000: "Al menos {n} de caracteres."}),
        ("de", {1: "Mindestens {n} Zeichen.", 0: "Mindestens {n} Zeichen.", 1_000_000: "Mindestens {n} Zeichen."}),
    ],
)  # fmt: skip
def test_french_spanish_and_german_plurals_follow_cldr(lang: str, forms: dict[int, str]) -> None:
    pair = MESSAGES["min_length"]
    assert isinstance(pair, tuple)
    one, other = pair
    assert {n: catalogs.plural("min_length", one, other, n, lang) for n in forms} == forms


def test_each_catalog_has_its_languages_plural_rules_from_cldr() -> None:
    from babel.messages.catalog import Catalog

    for lang, path in tool.catalog_paths().items():
        assert tool.read(path).plural_forms == Catalog(locale=lang).plural_forms, lang


def test_machine_made_translations_are_all_marked_unreviewed_and_the_russian_is_not() -> None:
    entries = len(tool.registered())
    assert {lang: tool.unreviewed()[lang] for lang in (*MACHINE_MADE, "ru")} == {
        **dict.fromkeys(MACHINE_MADE, entries),
        "ru": 0,
    }


def test_a_mark_that_is_not_a_translator_comment_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locale = tmp_path / "locale"
    shutil.copytree(catalogs.LOCALE_DIR, locale)
    po = locale / "fr" / "LC_MESSAGES" / "letterbox.po"
    mark = f"# {tool.UNREVIEWED}\n"
    text = po.read_text(encoding="utf-8")
    text = text.replace(mark + 'msgctxt "required"', f"#. {tool.UNREVIEWED}\n" + 'msgctxt "required"')
    text = text.replace(mark + 'msgctxt "enum"', '# unreviewed\nmsgctxt "enum"')
    text = text.replace('msgstr "Ce champ ne fait', 'msgstr "UNREVIEWED Ce champ ne fait')
    po.write_text(text, encoding="utf-8")
    monkeypatch.setattr(tool, "LOCALE_DIR", locale)
    monkeypatch.setattr(tool, "ROOT", tmp_path)

    found = list(tool.problems())

    where = "locale/fr/LC_MESSAGES/letterbox.po"
    assert f"{where}: required: UNREVIEWED must be a translator comment (# {tool.UNREVIEWED})" in found
    assert f"{where}: enum: write the mark as # {tool.UNREVIEWED}" in found
    assert f"{where}: unknown_field: UNREVIEWED must be a translator comment (# {tool.UNREVIEWED})" in found
    assert tool.unreviewed()["fr"] == len(tool.registered()) - 2  # the mark in the text is there besides


def test_french_punctuation_keeps_its_no_break_spaces() -> None:
    """French sets a space before : ; ? ! and inside « »: a no-break one, so a line never starts with the mark."""
    catalog = tool.read(tool.catalog_paths()["fr"])
    strings = [s for m in catalog if m.id for s in (m.string if isinstance(m.string, tuple) else [m.string])]
    broken = [s for s in strings if re.search(r" [:;?!»](\s|$)|« ", s)]
    assert broken == []
    assert any("\u00a0:" in s for s in strings)


def test_right_to_left_languages_are_cldrs_and_pages_say_so() -> None:
    from babel import Locale, localedata

    from chalicelib.intake.pages import thanks_page

    cldr = {i for i in localedata.locale_identifiers() if "_" not in i and Locale.parse(i).text_direction == "rtl"}
    assert cldr == catalogs.RIGHT_TO_LEFT
    for lang in catalogs.languages():
        assert ("rtl" in catalogs.html_lang(lang)) == (Locale.parse(lang).text_direction == "rtl"), lang
    assert catalogs.html_lang("fr") == 'lang="fr"'
    # A pseudo-locale: no right-to-left language is shipped yet; its page falls back to English, right to left.
    page = thanks_page(None, "ar", None)
    assert page.startswith('<!doctype html><html lang="ar" dir="rtl">')
    assert "Your submission has reached the organizers." in page
