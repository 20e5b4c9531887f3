"""letterbox.toml: each deployment's choices per stage and per form, checked with the line that is wrong.

The shape (the organizers' interface):

    organizers = ["anna@campaign.example"]       # every form, every stage
    origins = ["https://campaign.example"]
    [forms.letter-copy]                          # one form (a file in schemas/)
    origins = ["https://campaign.example", "https://letters.campaign.example"]
    [stages.dev]                                 # every form, in one stage
    origins = ["http://127.0.0.1:8080"]
    [stages.dev.forms.letter-copy]               # one form, in one stage

A form's value for a key is the first found in: stage-and-form, stage, form, top level; then
the built-in default (FormOptions). So a stage replaces a form's production value.

Pure: no environment, and no file read but in `load`; the caller says which forms exist.
tomllib gives no positions, so a mistake is located in the raw text: table header, then key.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalicelib.core.config_keys import CAPTCHAS as CAPTCHAS  # callers import these from here too
from chalicelib.core.config_keys import DIGEST_KEYS as DIGEST_KEYS
from chalicelib.core.config_keys import KEYS as KEYS
from chalicelib.core.config_keys import ConfigError as ConfigError
from chalicelib.core.config_keys import Invalid as Invalid
from chalicelib.core.config_keys import shown
from chalicelib.core.stage_keys import STAGE_DEFAULTS, STAGE_KEYS, per_form_message
from chalicelib.core.toml_lines import Locator

DEFAULT_NAME = "letterbox.toml"


@dataclass(frozen=True)
class StageTables:
    values: Mapping[str, Any] = field(default_factory=dict)
    forms: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class ConfigFile:
    """The file, checked: every value already in the form FormOptions holds."""

    name: str
    values: Mapping[str, Any] = field(default_factory=dict)
    forms: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    stages: Mapping[str, StageTables] = field(default_factory=dict)
    # Where each key is written: checks made later, against the forms' schemas, still name the line.
    locator: Locator | None = field(default=None, compare=False, repr=False)

    def lookup(self, stage: str, form: str | None = None) -> dict[str, Any]:
        """The keys set for `form` in `stage` (None: a form the file does not name), most specific first."""
        return {key: value for key, value in self._layered(stage, form).items() if key in KEYS}

    def digest_lookup(self, stage: str, form: str | None = None) -> dict[str, Any]:
        """The same for the digest keys (notify, digest_time, timezone), which fill a DigestChoice."""
        return {key: value for key, value in self._layered(stage, form).items() if key in DIGEST_KEYS}

    def _layered(self, stage: str, form: str | None) -> dict[str, Any]:
        tables = self.stages.get(stage, StageTables())
        layers = [self.values]
        if form is not None:
            layers.append(self.forms.get(form, {}))
        layers.append(tables.values)
        if form is not None:
            layers.append(tables.forms.get(form, {}))
        found: dict[str, Any] = {}
        for layer in layers:  # least specific first, so the most specific one wins
            found.update(layer)
        return found

    def source(self, stage: str, form: str, key: str) -> tuple[str, ...]:
        """The path of the table whose `key` applies to `form` in `stage` (the most specific that sets it)."""
        tables = self.stages.get(stage, StageTables())
        layers: list[tuple[tuple[str, ...], Mapping[str, Any]]] = [
            (("stages", stage, "forms", form), tables.forms.get(form, {})),
            (("stages", stage), tables.values),
            (("forms", form), self.forms.get(form, {})),
        ]
        return next(((*path, key) for path, layer in layers if key in layer), (key,))

    def problem(self, path: tuple[str, ...], message: str, index: int | None = None) -> str:
        """A mistake found after parsing, said as parse says its own: file, line, key, what is wrong."""
        problems = _Problems(self.name, self.locator or Locator(""))
        problems.add(path, message, index)
        return problems.found[0][1]

    def stage_lookup(self, stage: str) -> dict[str, Any]:
        """The per-stage keys (throttle_rate, throttle_burst) for `stage`: its table, the top level, the default."""
        found = {**STAGE_DEFAULTS, **self.values, **self.stages.get(stage, StageTables()).values}
        return {key: value for key, value in found.items() if key in STAGE_KEYS}

    def named_forms(self, stage: str) -> frozenset[str]:
        """Forms with a table of their own, for every stage or for this one."""
        return frozenset(self.forms) | frozenset(self.stages.get(stage, StageTables()).forms)


NO_FILE = ConfigFile("(no letterbox.toml)")


def all_origins(config: ConfigFile, stage: str) -> tuple[str, ...]:
    """Every origin any form allows in `stage`: what the bucket's CORS rule for uploads must allow."""
    found: dict[str, None] = {}
    for form in [None, *sorted(config.named_forms(stage))]:
        found.update(dict.fromkeys(config.lookup(stage, form).get("origins", ())))
    return tuple(found)


def load(path: Path, *, forms: Collection[str] | None = None, name: str | None = None) -> ConfigFile:
    """Read and check a file. A missing one raises FileNotFoundError: whether that is wrong is the caller's call."""
    shown_name = name or path.name
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{shown_name}: not UTF-8 text (byte {error.start})") from None
    return parse(text, shown_name, forms)


def parse(text: str, name: str = DEFAULT_NAME, forms: Collection[str] | None = None) -> ConfigFile:
    """The file's text, checked; `forms` (when given) are the forms that exist. Every mistake is reported."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{name}: {error}") from None
    problems = _Problems(name, Locator(text))
    known = frozenset(forms) if forms is not None else None
    values = _values(raw, (), {"forms", "stages"}, problems, known)
    form_tables = _forms(raw.get("forms"), ("forms",), problems, known)
    stages: dict[str, StageTables] = {}
    raw_stages = raw.get("stages", {})
    if not isinstance(raw_stages, dict):
        problems.add(("stages",), f"must be a table of stages like [stages.prod], not {shown(raw_stages)}")
        raw_stages = {}
    for stage, table in raw_stages.items():
        path = ("stages", stage)
        if not isinstance(table, dict):
            problems.add(path, f"must be a table ([{dotted(path)}]), not {shown(table)}")
            continue
        stage_values = _values(table, path, {"forms"}, problems, known)
        stages[stage] = StageTables(stage_values, _forms(table.get("forms"), (*path, "forms"), problems, known))
    problems.raise_any()
    return ConfigFile(name, values, form_tables, stages, problems.locator)


def _values(
    table: Mapping[str, Any],
    path: tuple[str, ...],
    tables: set[str],
    problems: _Problems,
    known: frozenset[str] | None,
) -> dict[str, Any]:
    values = {}
    for key, value in table.items():
        spec = KEYS.get(key) or DIGEST_KEYS.get(key)
        if key in STAGE_KEYS and "forms" in tables:  # the top level and [stages.STAGE]: not a form's table
            try:
                values[key] = STAGE_KEYS[key](value)
            except Invalid as error:
                problems.add((*path, key), error.message)
        elif key in STAGE_KEYS:
            problems.add((*path, key), per_form_message(key, path))
        elif spec is not None:
            try:
                values[key] = spec.check(value)
            except Invalid as error:
                problems.add((*path, key), error.message, error.index)
        elif key not in tables:
            problems.add((*path, key), _unknown_key(key, path, [*KEYS, *sorted(tables)], known))
    return values


def _unknown_key(key: str, path: tuple[str, ...], allowed: list[str], known: frozenset[str] | None) -> str:
    if "forms" in allowed and known is not None and key in known:
        return f"unknown key: a form's settings go in [{dotted((*path, 'forms', key))}]"
    close = difflib.get_close_matches(key, [*allowed, *DIGEST_KEYS, *STAGE_KEYS], n=1)
    if close:
        return f"unknown key: did you mean {close[0]!r}?"
    return f"unknown key (known here: {', '.join(allowed)})"


def _forms(
    raw: object, path: tuple[str, ...], problems: _Problems, known: frozenset[str] | None
) -> dict[str, dict[str, Any]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.add(path, f"must be a table of forms like [{dotted((*path, 'letter-copy'))}], not {shown(raw)}")
        return {}
    forms = {}
    for form, table in raw.items():
        form_path = (*path, form)
        if known is not None and form not in known:
            close = difflib.get_close_matches(form, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.add(form_path, f"no form {form!r} (schemas/ has {', '.join(sorted(known)) or 'none'}){hint}")
            continue
        if not isinstance(table, dict):
            problems.add(form_path, f"must be a table ([{dotted(form_path)}]), not {shown(table)}")
            continue
        forms[form] = _values(table, form_path, set(), problems, None)
    return forms


BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def dotted(path: tuple[str, ...]) -> str:
    return ".".join(part if BARE_KEY.match(part) else json.dumps(part, ensure_ascii=False) for part in path)


@dataclass
class _Problems:
    name: str
    locator: Locator
    found: list[tuple[int, str]] = field(default_factory=list)

    def add(self, path: tuple[str, ...], message: str, index: int | None = None) -> None:
        line = self.locator.line(path)
        where = f"{self.name} line {line}" if line else self.name
        at = f"[{index}]" if index is not None else ""
        self.found.append((line or 0, f"{where}: {dotted(path)}{at}: {message}"))

    def raise_any(self) -> None:
        if self.found:
            raise ConfigError("\n".join(message for _, message in sorted(self.found, key=lambda item: item[0])))
