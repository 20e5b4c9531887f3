"""letterbox.toml's encrypt_to and clear_fields, checked against the forms' schemas (at start and at deploy).

The file's own check (config_keys) knows no schema; this one does, and names the line as it does.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from chalicelib.core import forms as form_files
from chalicelib.core.config_file import ConfigFile
from chalicelib.core.config_keys import ConfigError

if TYPE_CHECKING:
    from chalicelib.core.form_choices import FormChoices, FormOptions


def check_encryption(choices: FormChoices, config: ConfigFile, form_names: Collection[str], schemas: Path) -> None:
    """Each form's clear_fields are its own fields."""
    found = []
    for form in sorted(form_names):
        options = choices.options_for(form)
        path = schemas / f"{form}.json"
        if not (options.encrypts or options.clear_fields) or not path.is_file():
            continue  # a name without a schema file serves nothing: there is nothing to encrypt
        found += _encryption_problems(config, choices.stage, form_files.load_form(path), options)
    if found:
        raise ConfigError("\n".join(found))


def _encryption_problems(
    config: ConfigFile, stage: str, form: form_files.FormDefinition, options: FormOptions
) -> list[str]:
    found = []
    fields = list(form.properties)
    for index, name in enumerate(options.clear_fields):
        if name not in fields:
            message = f"{name!r} is not a field of the form {form.name} (its fields: {', '.join(fields)})"
            found.append(config.problem(config.source(stage, form.name, "clear_fields"), message, index))
    return found
