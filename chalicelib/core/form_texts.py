"""The forms' texts in every language: what the catalogs hold of each schema, and the schema the embed reads.

A schema holds its texts in English: its title and description, each field's, the choices'
labels (x-enum-labels.en) and x-letterbox's subject, submit and success (their "en"). Each
language's translation is in the catalogs under form.<form>.<part> (FormDefinition._translated),
so that adding a form is one schema file and adding a language one catalog file.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from chalicelib.core import catalogs
from chalicelib.core.forms import FormDefinition, text_key

# The x-letterbox texts a person reads.
OPTION_TEXTS = ("subject", "submit", "success")

Built = TypeVar("Built")


def once_per_version(build: Callable[..., Built]) -> Callable[..., Built]:
    """build(form, *args) made once per form, version and args in a process: the embed asks for it before
    every form it shows, and a schema's texts change only with a new version of it."""
    made: dict[tuple[Any, ...], Built] = {}

    @functools.wraps(build)
    def cached(form: FormDefinition, *args: Any) -> Built:
        key = (form.name, form.version, *args)
        if key not in made:
            made[key] = build(form, *args)
        return made[key]

    return cached


def english_texts(form: FormDefinition) -> dict[str, str]:
    """Every text of the form by its catalog key, in English: what the catalogs must translate."""
    return {text_key(form.name, part): english for part, english in _parts(form) if english}


def _parts(form: FormDefinition) -> Iterator[tuple[str, str]]:
    yield "title", str(form.schema.get("title", ""))
    yield "description", str(form.schema.get("description", ""))
    for name, prop in form.properties.items():
        yield f"{name}.title", str(prop.get("title", ""))
        yield f"{name}.description", str(prop.get("description", ""))
        for value, label in prop.get("x-enum-labels", {}).get("en", {}).items():
            yield f"{name}.choice.{value}", str(label)
    for key in OPTION_TEXTS:
        yield key, str(form.options.get(key, {}).get("en", ""))


@once_per_version
def embed_schema(form: FormDefinition) -> dict[str, Any]:
    """The schema as letterbox.js reads it: each text in every shipped language (x-labels, x-enum-labels, …)."""
    schema = copy.deepcopy(dict(form.schema))
    others = [lang for lang in catalogs.languages() if lang != catalogs.SOURCE_LANGUAGE]
    schema["x-labels"] = {lang: _labels(form.title(lang), form.description(lang)) for lang in others}
    for name, prop in schema.get("properties", {}).items():
        prop["x-labels"] = {
            lang: _labels(form.label(name, lang), form.field_description(name, lang)) for lang in others
        }
        if "x-enum-labels" in prop:
            values = prop["x-enum-labels"].get("en", {})
            prop["x-enum-labels"] = {
                lang: {value: form.enum_label(name, value, lang) for value in values} for lang in catalogs.languages()
            }
    options = schema.get("x-letterbox", {})
    for key in OPTION_TEXTS:
        if key in options:
            options[key] = {lang: form.text(key, lang) for lang in catalogs.languages()}
    return schema


def _labels(title: str, description: str) -> dict[str, str]:
    return {key: text for key, text in (("title", title), ("description", description)) if text}
