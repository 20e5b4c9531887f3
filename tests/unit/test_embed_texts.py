"""The embed scripts' texts (chalicelib/intake/embed_texts.py): what GET /forms/{form} sends, what scripts ask."""

from __future__ import annotations

import re
from pathlib import Path

from chalicelib.core import catalogs
from chalicelib.core.forms import FormRegistry
from chalicelib.intake.embed_texts import API_TEXTS, EMBED_TEXTS, FILES_API_TEXTS, embed_texts
from chalicelib.intake.texts import MESSAGES

SOURCES = Path(__file__).resolve().parents[2] / "embed" / "src"
FORMS = {form.name: form for form in FormRegistry.load(validators=False)}
# text('key' ...) in the scripts' code (not in a comment).
ASKED = re.compile(r"\btext\('(\w+)'")


def asked_by(script: str) -> set[str]:
    code = "\n".join(line for line in (SOURCES / script).read_text().splitlines() if not line.strip().startswith("//"))
    return set(ASKED.findall(code))


def test_every_text_a_script_asks_for_is_sent_to_it() -> None:
    # letterbox-files.js and letterbox-wall.js also use letterbox.js's texts ("remove", "retry"), always sent.
    report, letter = embed_texts(FORMS["action-report"], "en"), embed_texts(FORMS["letter-copy"], "en")
    assert asked_by("letterbox.js") - {"wall_load_failed"} <= letter.keys()
    assert asked_by("letterbox-files.js") <= letter.keys()
    assert asked_by("letterbox-wall.js") | {"wall_load_failed"} <= report.keys()


def test_a_form_gets_the_files_texts_only_with_a_file_field_and_the_walls_only_with_a_wall() -> None:
    letter = embed_texts(FORMS["letter-copy"], "en")  # files, no wall
    report = embed_texts(FORMS["action-report"], "en")  # files and a wall

    assert "files_hint" in letter
    assert "attachment_too_large" in letter
    assert not any(key.startswith("wall_") for key in letter)
    assert report["wall_more"] == "Show more actions"


def test_the_browsers_checks_speak_with_the_apis_own_words_in_the_language_asked() -> None:
    texts = embed_texts(FORMS["letter-copy"], "ru")

    for key in (*API_TEXTS, *FILES_API_TEXTS):
        english = MESSAGES[key]
        assert isinstance(english, str)
        assert texts[key] == catalogs.text(key, english, "ru")
    assert texts["required"] == "Это поле обязательно."
    whole_date = texts["whole_date"]
    assert isinstance(whole_date, str)
    assert whole_date.startswith("Введите дату полностью")
    assert set(EMBED_TEXTS) & set(MESSAGES) == set()  # one texts object: no key means two things


def test_a_text_with_a_count_comes_as_each_form_under_a_count_that_takes_it() -> None:
    russian = embed_texts(FORMS["action-report"], "ru")["wall_actions"]
    english = embed_texts(FORMS["action-report"], "en")["wall_actions"]

    # The browser names each with Intl.PluralRules: 1 is "one", 2 "few", 0 "many" in Russian.
    assert russian == {"1": "{count} акция", "2": "{count} акции", "0": "{count} акций"}
    assert english == {"1": "{count} action", "0": "{count} actions"}


def test_plural_samples_find_a_count_for_every_form_of_the_language() -> None:
    assert catalogs.plural_samples("en") == (1, 0)
    assert catalogs.plural_samples("ru") == (1, 2, 0)
    assert catalogs.plural_samples("xx") == (1, 0)  # no catalog: English's rule
