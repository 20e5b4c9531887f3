"""The Chalice stage's configuration (.chalice/config.json), rendered from the stack and the operator's settings.

Pure functions: given the config as it is, the stack's outputs and the settings, they
return the config as it must be. Nothing secret is ever part of it: the hCaptcha secret
is named by its SSM parameter (HCAPTCHA_SECRET_PARAMETER), never given by value.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.core.form_choices import FormChoices
from chalicelib.core.signing_keys import PARAMETER_VARIABLE, parameter_name

from .policies import policy_file_names

# The committed stage whose settings (memory, timeouts, policy files) a new stage starts from.
TEMPLATE_STAGE = "prod"
# Kept for `chalice local` and the local stack: never deployed by this script.
LOCAL_STAGE = "dev"
SECRET_VARIABLES = frozenset({"HCAPTCHA_SECRET"})
# The local stack's alone: the marker that accepts test keys, its demo site, another file than the one shipped.
LOCAL_VARIABLES = ("LETTERBOX_LOCAL", "LETTERBOX_LOCAL_ORIGINS", "LETTERBOX_CONFIG")
FUNCTIONS = ("api_handler", "notify", "digests")
# The functions that sign or check with the stage's signing key (the deploy creates it).
SIGNING_FUNCTIONS = ("api_handler", "notify")
API_URL = "LETTERBOX_API_URL"


class StageConfigError(Exception):
    """The configuration cannot be rendered as asked; the message says what to change."""


@dataclass(frozen=True)
class StageSettings:
    """What the operator decides for a stage (flags, environment, or what config.json holds already).

    `organizers` and `origins` are the operator's overrides (empty: letterbox.toml decides), for every form.
    """

    sender: str
    organizers: tuple[str, ...]
    origins: tuple[str, ...]
    sitekey: str
    secret_parameter: str
    form_options: str = ""
    # The API's URL, for the review links the notify function puts in emails ("" until the first deploy).
    api_url: str = ""

    def check(self, choices: FormChoices) -> None:
        """Refuse a stage that could not run; `choices` are the forms' options as the stage will read them."""
        if not self.sender or "@" not in self.sender:
            raise StageConfigError(
                "no sender address: set LETTERBOX_SENDER (or --sender) to the address SES sends from"
            )
        if not choices.all_organizers:
            raise StageConfigError(
                'no organizers: add organizers = ["you@campaign.example"] to letterbox.toml '
                "(or set LETTERBOX_ORGANIZERS, or --organizers, for every form)"
            )
        if not choices.needs_hcaptcha:
            return  # every form on ALTCHA or off: no hCaptcha account needed
        if not self.sitekey:
            raise StageConfigError("no hCaptcha sitekey: set HCAPTCHA_SITEKEY")
        if not self.secret_parameter:
            raise StageConfigError("no hCaptcha secret: set HCAPTCHA_SECRET, or HCAPTCHA_SECRET_PARAMETER")


def load(path: Path) -> dict[str, Any]:
    config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return config


def dumps(config: Mapping[str, Any]) -> str:
    return json.dumps(config, indent=2, ensure_ascii=False) + "\n"


def stage_of(config: Mapping[str, Any], stage: str) -> dict[str, Any]:
    """The stage's settings; a new stage starts as a copy of the committed prod stage."""
    stages = config.get("stages", {})
    if stage in stages:
        return copy.deepcopy(dict(stages[stage]))
    if TEMPLATE_STAGE not in stages:
        raise StageConfigError(f"no stage {stage!r} in .chalice/config.json, and no {TEMPLATE_STAGE!r} to copy")
    return copy.deepcopy(dict(stages[TEMPLATE_STAGE]))


def environment(config: Mapping[str, Any], stage: str, function: str | None = None) -> dict[str, str]:
    """A stage's environment variables, as Chalice merges them for one function (or for the stage)."""
    settings = stage_of(config, stage)
    merged = dict(config.get("environment_variables", {}))
    merged.update(settings.get("environment_variables", {}))
    if function:
        merged.update(settings.get("lambda_functions", {}).get(function, {}).get("environment_variables", {}))
    return {str(k): str(v) for k, v in merged.items()}


def function_setting(config: Mapping[str, Any], stage: str, function: str, key: str) -> Any:
    """A per-function setting as Chalice looks it up: function in stage, stage, function, top level."""
    settings = stage_of(config, stage)
    for scope in (
        settings.get("lambda_functions", {}).get(function, {}),
        settings,
        config.get("lambda_functions", {}).get(function, {}),
        config,
    ):
        if scope.get(key) is not None:
            return scope[key]
    return None


def render(
    config: Mapping[str, Any], stage: str, outputs: Mapping[str, str], settings: StageSettings
) -> dict[str, Any]:
    """The whole config with `stage` set from the stack's outputs and the settings; other stages untouched.

    The settings are checked by StageSettings.check, with letterbox.toml read under the rendered variables.
    """
    if stage == LOCAL_STAGE:
        raise StageConfigError(f"stage {LOCAL_STAGE!r} is the local stack's (make dev): deploy another, e.g. prod")
    rendered = copy.deepcopy(dict(config))
    stage_settings = stage_of(config, stage)
    stage_settings["autogen_policy"] = False
    stage_settings["environment_variables"] = {
        **stage_settings.get("environment_variables", {}),
        "LETTERBOX_STAGE": stage,
        "LETTERBOX_BUCKET": outputs["BucketName"],
        "LETTERBOX_SENDER": settings.sender,
    }
    # Only what the operator gave: a variable overrides letterbox.toml for every form.
    overrides = {
        "LETTERBOX_ORGANIZERS": ",".join(settings.organizers),
        "LETTERBOX_ORIGINS": " ".join(settings.origins),
        "LETTERBOX_FORM_OPTIONS": settings.form_options,
    }
    stage_settings["environment_variables"].update({name: value for name, value in overrides.items() if value})
    functions = stage_settings.setdefault("lambda_functions", {})
    files = policy_file_names(stage)
    for function in FUNCTIONS:
        functions.setdefault(function, {})["iam_policy_file"] = files[function]
    api = functions["api_handler"]
    api["environment_variables"] = {
        **api.get("environment_variables", {}),
        "HCAPTCHA_SITEKEY": settings.sitekey,
        "HCAPTCHA_SECRET_PARAMETER": settings.secret_parameter,
    }
    for signer in SIGNING_FUNCTIONS:
        function = functions[signer]
        function["environment_variables"] = {
            **function.get("environment_variables", {}),
            PARAMETER_VARIABLE: parameter_name(stage),
        }
    if settings.api_url:
        notify = functions["notify"]
        notify["environment_variables"] = {**notify.get("environment_variables", {}), API_URL: settings.api_url}
    rendered.setdefault("stages", {})[stage] = stage_settings
    check_no_secrets(rendered)
    check_not_local(rendered, stage)
    return rendered


def check_not_local(config: Mapping[str, Any], stage: str) -> None:
    """Refuse a deployed stage that carries the local stack's variables (LETTERBOX_LOCAL accepts test keys)."""
    for function in FUNCTIONS:
        if found := [name for name in LOCAL_VARIABLES if name in environment(config, stage, function)]:
            raise StageConfigError(
                f"stage {stage!r} sets {', '.join(found)} for {function} in .chalice/config.json: "
                "it is for the local stack only (make dev), remove it"
            )


def check_no_secrets(config: Mapping[str, Any]) -> None:
    """Refuse a config that would carry a secret by value into the repository (the dev stage's test key aside)."""
    for name, stage in config.get("stages", {}).items():
        if name == LOCAL_STAGE:
            continue  # hCaptcha's public test secret, for the local stack
        scopes = [stage, *stage.get("lambda_functions", {}).values()]
        for scope in scopes:
            if leaked := SECRET_VARIABLES & set(scope.get("environment_variables", {})):
                raise StageConfigError(
                    f"stage {name!r} sets {', '.join(sorted(leaked))} in .chalice/config.json: "
                    "name an SSM parameter with HCAPTCHA_SECRET_PARAMETER instead"
                )
