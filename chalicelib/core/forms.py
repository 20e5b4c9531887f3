"""Form definitions: one JSON Schema file per form, checked and compiled once."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.core import catalogs
from chalicelib.core.config_keys import ConfigError
from chalicelib.core.env_reader import is_local

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

# Next to chalicelib/ both in the repository and in the deployment package.
SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"
FORM_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
# The local stack's tests serve forms of their own from here (never a deployed stage).
SCHEMAS_ENV = "LETTERBOX_SCHEMAS"


def schemas_dir(env: Mapping[str, str] | None = None) -> Path:
    """schemas/ next to chalicelib/; on the local stack only, the folder LETTERBOX_SCHEMAS names."""
    env = os.environ if env is None else env
    named = env.get(SCHEMAS_ENV, "").strip()
    if not named:
        return SCHEMAS_DIR
    if not is_local(env):
        raise ConfigError(f"{SCHEMAS_ENV} is for the local stack only (with LETTERBOX_LOCAL=1)")
    return Path(named)


@dataclass(frozen=True)
class FormDefinition:
    name: str
    schema: Mapping[str, Any]
    version: str

    @functools.cached_property
    def validator(self) -> Draft202012Validator:
        """The schema, checked, compiled once. jsonschema is imported here: notify never needs it."""
        from jsonschema import Draft202012Validator, FormatChecker
        from jsonschema.exceptions import SchemaError

        from chalicelib.core.email_address import is_email

        try:
            Draft202012Validator.check_schema(self.schema)
        except SchemaError as error:
            raise ValueError(f"{self.name}.json is not a valid JSON Schema: {error}") from None
        formats = FormatChecker()  # its own copy of the checks: registering here changes no other checker
        # jsonschema's own "email" check only looks for an "@": "anna@" and "@" pass it.
        formats.checks("email")(is_email)
        return Draft202012Validator(self.schema, format_checker=formats)

    @property
    def properties(self) -> Mapping[str, Mapping[str, Any]]:
        props: Mapping[str, Mapping[str, Any]] = self.schema.get("properties", {})
        return props

    @property
    def options(self) -> Mapping[str, Any]:
        opts: Mapping[str, Any] = self.schema.get("x-letterbox", {})
        return opts

    # The form's texts: the English in the schema, each language's in the catalogs (chalicelib/core/form_texts.py).

    def title(self, lang: str) -> str:
        return self._translated("title", str(self.schema.get("title", "")), lang) or self.name

    def description(self, lang: str) -> str:
        return self._translated("description", str(self.schema.get("description", "")), lang)

    def label(self, field: str, lang: str) -> str:
        english = str(self.properties.get(field, {}).get("title", ""))
        return self._translated(f"{field}.title", english, lang) or field

    def field_description(self, field: str, lang: str) -> str:
        english = str(self.properties.get(field, {}).get("description", ""))
        return self._translated(f"{field}.description", english, lang)

    def enum_label(self, field: str, value: str, lang: str) -> str:
        english = str(self.properties.get(field, {}).get("x-enum-labels", {}).get("en", {}).get(value) or value)
        return self._translated(f"{field}.choice.{value}", english, lang)

    def text(self, key: str, lang: str) -> str:
        """An x-letterbox text (subject, submit, success): its English is the schema's "en"."""
        return self._translated(key, str(self.options.get(key, {}).get("en", "")), lang)

    def _translated(self, part: str, english: str, lang: str) -> str:
        return catalogs.text(text_key(self.name, part), english, lang) if english else ""


def text_key(form: str, part: str) -> str:
    """A form's text in the catalogs: form.action-report.kind.title, form.action-report.kind.choice.picket, …"""
    return f"form.{form}.{part}"


class FormRegistry:
    """All forms found in a directory; adding a form is adding a file."""

    def __init__(self, forms: Mapping[str, FormDefinition]) -> None:
        self._forms = dict(forms)

    @classmethod
    def load(cls, directory: Path | None = None, *, validators: bool = True) -> FormRegistry:
        """Read every form; with `validators`, check each schema and build its validator now.

        Without, only the files are read (labels and texts, what the notify function needs), and a
        form's validator is built when first used.
        """
        forms = {}
        for path in sorted((directory or schemas_dir()).glob("*.json")):
            form = load_form(path)
            forms[form.name] = form
        registry = cls(forms)
        return registry.with_validators() if validators else registry

    def with_validators(self) -> FormRegistry:
        """Check every schema and build its validator, once: a broken schema fails here, not on a submission."""
        for form in self._forms.values():
            _ = form.validator
        return self

    def get(self, name: str) -> FormDefinition | None:
        return self._forms.get(name)

    def __iter__(self) -> Iterator[FormDefinition]:
        return iter(self._forms.values())


def load_form(path: Path) -> FormDefinition:
    name = path.stem
    if not FORM_NAME.match(name):
        raise ValueError(f"{path.name}: a form's file name must be lowercase letters, digits and dashes")
    raw = path.read_bytes()
    try:
        schema = json.loads(raw)
    except ValueError as error:
        raise ValueError(f"{path.name} is not a valid JSON Schema: {error}") from None
    return FormDefinition(name=name, schema=schema, version=hashlib.sha256(raw).hexdigest()[:12])
