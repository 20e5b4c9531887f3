"""Every form's options (FormOptions), resolved from letterbox.toml under the environment's overrides (FormChoices).

Where a form's setting comes from, first found wins:

    1. LETTERBOX_FORM_OPTIONS[form]  deprecated JSON, kept for one release (a warning is logged)
    2. the environment variable      LETTERBOX_ORIGINS, LETTERBOX_ORGANIZERS, LETTERBOX_EMAIL_LANG,
                                     LETTERBOX_METADATA_ONLY, LETTERBOX_CAPTCHA (config_keys.KEYS)
    3. [stages.STAGE.forms.FORM]     in letterbox.toml (or the file LETTERBOX_CONFIG names)
    4. [stages.STAGE]                STAGE is LETTERBOX_STAGE, "dev" by default
    5. [forms.FORM]
    6. the file's top level
    7. the built-in default          FormOptions

A variable, when set and not empty, is the value for *every* form: `LETTERBOX_ORIGINS=... make dev`
must do what it says, and a top-level-only override would lose to [stages.dev] without a word.
Per-form choices belong in the file.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chalicelib.core import config_file
from chalicelib.core import forms as form_files
from chalicelib.core.config_file import ConfigFile
from chalicelib.core.config_keys import CAPTCHAS, KEYS, ConfigError, Invalid
from chalicelib.core.encryption_config import check_encryption
from chalicelib.core.env_reader import EnvReader, is_local

# Next to app.py: the repository's root locally, the package's root in Lambda (vendor/letterbox.toml).
DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / config_file.DEFAULT_NAME
# About one second of a mid-range phone (README, "Captcha"; make bench measures it on a CPU 4x slower).
DEFAULT_ALTCHA_MAX_NUMBER = 500
LEGACY_KEYS = {"origins", "organizers", "lang", "metadata_only", "safe_fields", "captcha"}
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FormOptions:
    """Per-form deployment choices (who may embed it, who is told of it)."""

    origins: tuple[str, ...] = ()
    organizers: tuple[str, ...] = ()
    lang: str = "en"
    metadata_only: bool = False
    safe_fields: tuple[str, ...] | None = None
    # "off" lets a form work without JavaScript, where no captcha can run.
    captcha: str = CAPTCHAS[0]
    # How much work an ALTCHA challenge asks of the browser (chalicelib/intake/altcha_challenges.py).
    altcha_max_number: int = DEFAULT_ALTCHA_MAX_NUMBER
    # age X25519 recipients: when set, the bucket and the email hold only ciphertext, but clear_fields.
    encrypt_to: tuple[str, ...] = ()
    clear_fields: tuple[str, ...] = ()

    @property
    def encrypts(self) -> bool:
        return bool(self.encrypt_to)

    def allows_origin(self, origin: str | None) -> bool:
        return origin is not None and origin.lower() in self.origins

    def allows_page(self, url: str | None) -> bool:
        """A URL on one of the form's sites: where a redirect or a link back may lead."""
        if not url:
            return False
        parts = urlsplit(url)
        return self.allows_origin(f"{parts.scheme}://{parts.netloc}")

    @functools.cached_property
    def hostnames(self) -> frozenset[str]:
        return frozenset(urlsplit(origin).hostname or "" for origin in self.origins)


@dataclass(frozen=True)
class FormChoices:
    """Every form's options, resolved: those of the forms the configuration names, and the rest's."""

    stage: str
    default: FormOptions
    named: Mapping[str, FormOptions] = field(default_factory=dict)
    source: str = config_file.NO_FILE.name
    # The variables that override the file for every form (LETTERBOX_ORIGINS, ...), as set.
    overridden_by: tuple[str, ...] = ()

    def options_for(self, form: str) -> FormOptions:
        return self.named.get(form, self.default)

    @property
    def all_origins(self) -> tuple[str, ...]:
        """Every origin any form allows: what the bucket's CORS rule for browser uploads must allow."""
        every = [self.default, *self.named.values()]
        return tuple(dict.fromkeys(origin for options in every for origin in options.origins))

    @property
    def all_organizers(self) -> tuple[str, ...]:
        every = [self.default, *self.named.values()]
        return tuple(dict.fromkeys(address for options in every for address in options.organizers))

    @property
    def needs_hcaptcha(self) -> bool:
        """Whether hCaptcha's keys are needed: any form but those on ALTCHA or off (a new captcha fails closed)."""
        return any(options.captcha not in ("altcha", "off") for options in (self.default, *self.named.values()))

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str],
        *,
        config: ConfigFile | None = None,
        form_names: Collection[str] | None = None,
        schemas_dir: Path | None = None,
    ) -> FormChoices:
        """The file (LETTERBOX_CONFIG, or letterbox.toml next to app.py) under the environment's overrides.

        `schemas_dir` holds the forms' schemas, against which encrypted forms are checked.
        """
        reader = EnvReader(env)
        stage = reader.text("LETTERBOX_STAGE", "dev")
        if config is None:
            config = read_config(env, known_form_names(env) if form_names is None else form_names)
        overrides = _env_overrides(reader)
        legacy = _legacy_form_options(reader, "LETTERBOX_FORM_OPTIONS")
        local_origins = _local_origins(reader)

        def resolve(form: str | None) -> FormOptions:
            values = {**config.lookup(stage, form), **overrides, **(legacy.get(form, {}) if form else {})}
            options = FormOptions(**{KEYS[key].attribute: value for key, value in values.items()})
            if local_origins:
                options = replace(options, origins=tuple(dict.fromkeys((*options.origins, *local_origins))))
            return options

        named = sorted(config.named_forms(stage) | set(legacy))
        variables = tuple(KEYS[key].env for key in overrides)
        choices = cls(stage, resolve(None), {form: resolve(form) for form in named}, config.name, variables)
        names = known_form_names(env) if form_names is None else form_names
        check_encryption(choices, config, names, schemas_dir or form_files.schemas_dir(env))
        return choices


def known_form_names(env: Mapping[str, str] | None = None) -> frozenset[str]:
    """The forms that exist: one schema file each (read at call time, so a test may point elsewhere)."""
    return frozenset(path.stem for path in form_files.schemas_dir(env).glob("*.json"))


def read_config(env: Mapping[str, str], form_names: Collection[str]) -> ConfigFile:
    """The file LETTERBOX_CONFIG names (it must exist), else letterbox.toml next to app.py (if there is one)."""
    named = env.get("LETTERBOX_CONFIG", "").strip()
    path = Path(named) if named else DEFAULT_CONFIG
    try:
        return config_file.load(path, forms=form_names, name=named or None)
    except FileNotFoundError:
        if not named:
            return config_file.NO_FILE
        raise ConfigError(f"LETTERBOX_CONFIG names {named}, which does not exist") from None
    except OSError as error:
        raise ConfigError(f"{named or path.name} cannot be read: {error.strerror}") from None


def _local_origins(reader: EnvReader) -> tuple[str, ...]:
    """The local stack's own demo site, whatever its port: allowed for every form, locally only."""
    text = reader.text("LETTERBOX_LOCAL_ORIGINS", "")
    if not text:
        return ()
    if not is_local(reader.env):
        raise ConfigError("LETTERBOX_LOCAL_ORIGINS is for the local stack only (with LETTERBOX_LOCAL=1)")
    origins: tuple[str, ...] = _checked("LETTERBOX_LOCAL_ORIGINS", "origins", KEYS["origins"].env_value(text))
    return origins


def _env_overrides(reader: EnvReader) -> dict[str, Any]:
    """The variables set (and not empty), each checked as the file's key would be; each applies to every form."""
    overrides = {}
    for key, spec in KEYS.items():
        text = reader.text(spec.env, "") if spec.env else ""
        if text:
            overrides[key] = _checked(spec.env, key, spec.env_value(text))
    return overrides


def _checked(where: str, key: str, value: object) -> Any:
    try:
        return KEYS[key].check(value)
    except Invalid as error:
        at = f"[{error.index}]" if error.index is not None else ""
        raise ConfigError(f"{where}{at}: {error.message}") from None


def _legacy_form_options(reader: EnvReader, name: str) -> dict[str, dict[str, Any]]:
    """LETTERBOX_FORM_OPTIONS, the JSON that came before letterbox.toml, in the file's terms."""
    raw = reader.text(name, "")
    if not raw:
        return {}
    _say_form_options_are_deprecated()
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise ConfigError(f"{name} is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise ConfigError(f"{name} must be a JSON object keyed by form name")
    return {str(form): _legacy_options(f"{name}[{form!r}]", value) for form, value in parsed.items()}


def _legacy_options(where: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a JSON object")
    unknown = set(value) - LEGACY_KEYS
    if unknown:
        raise ConfigError(f"{where} has unknown keys: {', '.join(sorted(unknown))}")
    options = {}
    for legacy_key, item in value.items():
        key = "email_lang" if legacy_key == "lang" else legacy_key
        if key == "captcha" and isinstance(item, bool):
            item = CAPTCHAS[0] if item else "off"
        options[key] = _checked(f"{where}.{legacy_key}", key, item)
    return options


@functools.cache
def _say_form_options_are_deprecated() -> None:
    log.warning(
        "LETTERBOX_FORM_OPTIONS is deprecated and goes in the next release: move it to letterbox.toml, "
        "one [forms.NAME] table per form ('lang' is now 'email_lang'; captcha is \"hcaptcha\" or \"off\")"
    )
