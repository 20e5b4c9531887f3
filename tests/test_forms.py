"""Adding a form is adding a schema file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib import runtime
from chalicelib.core import forms
from chalicelib.core.forms import FormRegistry
from tests.conftest import CAMPAIGN_ORIGIN, TEST_TOKEN, stored_objects

PETITION = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Sign the petition",
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 100, "title": "Name"}},
}


def test_a_new_schema_file_is_a_new_form_with_no_code_change(
    app_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3: Any
) -> None:
    for path in forms.SCHEMAS_DIR.glob("*.json"):
        shutil.copy(path, tmp_path)
    (tmp_path / "petition.json").write_text(json.dumps(PETITION))
    monkeypatch.setattr(forms, "SCHEMAS_DIR", tmp_path)
    runtime.reset()

    with Client(app, stage_name="test") as client:
        listed = json.loads(client.http.get("/forms").body)["forms"]
        answer = client.http.post(
            "/forms/petition/submissions",
            headers={"Content-Type": "application/json", "Origin": CAMPAIGN_ORIGIN},
            body=json.dumps({"name": "Анна", "h-captcha-response": TEST_TOKEN}),
        )

    assert "petition" in [form["form"] for form in listed]
    assert answer.status_code == 201
    submission_id = json.loads(answer.body)["id"]
    assert any(submission_id in key for key in stored_objects(s3, app_env["LETTERBOX_BUCKET"], "submissions/petition/"))


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("broken.json", "{not json", "broken.json is not a valid JSON Schema"),
        ("typo.json", json.dumps({"type": "objekt"}), "typo.json is not a valid JSON Schema"),
        ("Bad Name.json", json.dumps(PETITION), "lowercase letters, digits and dashes"),
    ],
)
def test_a_broken_schema_file_is_refused_at_load_naming_the_file(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    (tmp_path / name).write_text(content)

    with pytest.raises(ValueError, match=expected):
        FormRegistry.load(tmp_path)


def test_every_shipped_schema_bounds_every_string_and_forbids_unknown_fields() -> None:
    def strings(node: Any) -> list[Any]:
        found = [node] if isinstance(node, dict) and node.get("type") == "string" else []
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
        return found + [s for child in children for s in strings(child)]

    for form in FormRegistry.load():
        assert form.schema["additionalProperties"] is False, form.name
        assert form.schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        unbounded = [s for s in strings(dict(form.schema)) if "maxLength" not in s]
        assert unbounded == [], form.name
        for name, prop in form.properties.items():
            assert prop.get("title"), (form.name, name)
            # Its translations are in the catalogs (tests/test_catalogs.py checks every language has them).
            assert form.label(name, "ru") != prop["title"], (form.name, name)
