"""`letterbox snippet` (letterbox/snippet.py): the HTML to paste, and the demo pages made from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from chalicelib.core.forms import load_form
from devstack import demo_pages
from devstack.stack import ROOT
from letterbox.snippet import Snippet

API = "https://abc123.execute-api.eu-central-1.amazonaws.com/api"


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text, of a snippet."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def snippet(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "letterbox", "snippet", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("page", sorted(demo_pages.SNIPPETS))
def test_the_demo_pages_hold_what_the_generator_prints(page: str) -> None:
    held = demo_pages.region_of((demo_pages.PAGES / page).read_text(encoding="utf-8"))
    assert held == demo_pages.snippet_for(page), f"embed/demo/{page} is out of step: run `make demo-pages`"


def test_an_enhance_snippet_is_a_complete_accessible_form() -> None:
    done = snippet("action-report", "--mode", "enhance", "--api", API, "--script", "https://campaign.example/lb.js")

    assert done.returncode == 0, done.stderr
    html = Elements(done.stdout)
    (form,) = html.all("form")
    assert form["action"] == f"{API}/forms/action-report/submissions?lang=en"  # the pages after a plain post
    assert form["method"] == "post"
    assert "data-letterbox" in form
    assert html.all("script") == [{"src": "https://campaign.example/lb.js", "defer": None}]
    ids = {attrs["id"] for _, attrs in html.tags if attrs.get("id")}
    # Every label names a control, every description a text, and nothing twice.
    assert len(ids) == len([attrs for _, attrs in html.tags if attrs.get("id")])
    assert {label["for"] for label in html.all("label")} <= ids
    for _, attrs in html.tags:
        for described_by in (attrs.get("aria-describedby") or "").split():
            assert described_by in ids
    controls = {attrs["name"]: attrs for tag, attrs in html.tags if tag in ("input", "select", "textarea")}
    for name in ("kind", "date", "city", "country", "description"):  # the schema's required fields
        assert "required" in controls[name]
    assert "required" not in controls["email"]
    assert controls["date"]["type"] == "date"
    assert controls["email"]["type"] == "email"
    assert controls["consent_publish"] == {**controls["consent_publish"], "type": "checkbox", "value": "true"}
    assert [o["value"] for o in html.all("option")][:3] == ["", "picket", "embassy"]
    assert len([a for a in html.all("input") if a.get("name") == "links"]) == 3
    assert controls["_gotcha"]["tabindex"] == "-1"
    # The captcha's place, and a word for a supporter without JavaScript before they type anything.
    assert any("data-letterbox-captcha" in attrs for attrs in html.all("div"))
    assert "needs JavaScript for its captcha" in done.stdout.split("<div")[0]
    assert "Send report" in "".join(html.text)


def test_russian_texts_and_a_stage_without_captcha(tmp_path: Path) -> None:
    config = tmp_path / "letterbox.toml"
    config.write_text('[forms.letter-copy]\ncaptcha = "off"\n', encoding="utf-8")

    ru = snippet("letter-copy", "--mode", "enhance", "--lang", "ru", "--api", API)
    off = snippet("letter-copy", "--mode", "enhance", "--api", API, env={"LETTERBOX_CONFIG": str(config)})

    assert ru.returncode == 0, ru.stderr
    assert "Тип адресата" in ru.stdout
    assert "(обязательно)" in ru.stdout
    assert "Выберите…" in ru.stdout
    assert "нужен JavaScript" in ru.stdout
    assert 'data-lang="ru"' in ru.stdout
    assert off.returncode == 0, off.stderr
    assert "data-letterbox-captcha" not in off.stdout
    assert "noscript" not in off.stdout


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", ["Type de destinataire", "(obligatoire)", "Choisissez…", "Laissez ce champ vide", "Envoyer la copie"]),
        ("de", ["Art des Empfängers", "(Pflichtfeld)", "Bitte wählen…", "Dieses Feld leer lassen", "Kopie senden"]),
        ("es", ["Tipo de destinatario", "(obligatorio)", "Elija…", "Deje este campo vacío", "Enviar copia"]),
    ],
)
def test_every_shipped_language_writes_the_whole_form_in_it(lang: str, words: list[str]) -> None:
    done = snippet("letter-copy", "--mode", "enhance", "--lang", lang, "--api", API)

    assert done.returncode == 0, done.stderr
    assert [word for word in words if word not in done.stdout] == []
    assert f'data-lang="{lang}"' in done.stdout


def test_a_language_without_a_catalog_is_refused() -> None:
    done = snippet("letter-copy", "--lang", "pl", "--api", API)

    assert done.returncode == 2
    assert "'pl' is not one of 'en', 'de', 'es', 'fr', 'ru'" in done.stderr


def test_a_render_snippet_is_one_element_for_letterbox_js() -> None:
    done = snippet("action-report", "--api", API + "/", "--lang", "ru")

    assert done.returncode == 0, done.stderr
    html = Elements(done.stdout)
    assert html.all("div") == [{"data-letterbox-form": "action-report", "data-endpoint": API, "data-lang": "ru"}]
    assert "<noscript>" in done.stdout


def test_schema_texts_are_escaped_and_cannot_add_markup(tmp_path: Path) -> None:
    hostile: dict[str, Any] = {
        "title": "Hostile",
        "type": "object",
        "required": ["a"],
        "properties": {
            "a": {
                "type": "string",
                "title": '<script>alert(1)</script>"',
                "description": "</span><img src=x onerror=alert(2)>",
                "enum": ['x" onfocus="alert(3)'],
                "x-enum-labels": {"en": {'x" onfocus="alert(3)': "<b>bold</b>"}},
            }
        },
        "x-letterbox": {"submit": {"en": "</button><script>alert(4)</script>"}},
    }
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(hostile), encoding="utf-8")

    html = Snippet(load_form(path), "en", API, captcha=False).enhance_mode("/letterbox.js")

    parsed = Elements(html)
    assert [tag for tag, _ in parsed.tags].count("script") == 1  # letterbox.js's own, nothing else
    assert not [tag for tag, _ in parsed.tags if tag in ("img", "b")]
    assert not [attrs for _, attrs in parsed.tags if any(name.startswith("on") for name in attrs)]
    assert [o["value"] for o in parsed.all("option")] == ["", 'x" onfocus="alert(3)']
    assert '<script>alert(1)</script>"' in "".join(parsed.text)


def test_an_unknown_form_is_a_usage_error() -> None:
    done = snippet("no-such-form", "--api", API)
    assert done.returncode == 2
    assert "no form 'no-such-form'" in done.stderr
