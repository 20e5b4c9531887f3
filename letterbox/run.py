"""What every command shares: where it acts, the forms, each form's language, and the output."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from chalicelib.core import catalogs
from chalicelib.core.config_keys import ConfigError
from chalicelib.core.form_choices import FormChoices
from chalicelib.core.forms import FormDefinition, FormRegistry
from letterbox.fields import form_of, language
from letterbox.output import Output
from letterbox.reading import normalised_id
from letterbox.target import Target, local_target, stage_target

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Where:
    """The options given before the command (letterbox --stage prod list) and after it (letterbox list --stage prod)."""

    local: bool = False
    stage: str | None = None
    as_json: bool = False
    lang: str | None = None


class Run:
    def __init__(self, where: Where) -> None:
        if where.local and where.stage:
            raise click.UsageError("give --local or --stage NAME, not both")
        if not where.local and not where.stage:
            raise click.UsageError(
                "say where to act: --local (the `make dev` stack) or --stage NAME (a deployed stage)"
            )
        self.where = where
        self.out = Output(where.as_json)

    @functools.cached_property
    def target(self) -> Target:
        return local_target() if self.where.local else stage_target(str(self.where.stage))

    @functools.cached_property
    def forms(self) -> FormRegistry:
        return FormRegistry.load(validators=False)

    def form(self, name: str) -> FormDefinition:
        return form_of(self.forms, name)

    def lang(self, form: str) -> str:
        """--lang, else the form's email_lang for the stage (letterbox.toml), else English."""
        if self.where.lang:
            return language(self.where.lang)
        return language(self._choices.options_for(form).lang) if self._choices else "en"

    @functools.cached_property
    def _choices(self) -> FormChoices | None:
        try:
            return FormChoices.from_env({**os.environ, "LETTERBOX_STAGE": self.target.stage})
        except ConfigError as error:
            self.out.note(f"letterbox.toml cannot be read ({error}): labels in English")
            return None


def where_options(command: F) -> F:
    """--local, --stage, --json and --lang, accepted before the command name and after it."""
    decorators = [
        click.option(
            "--local", is_flag=True, default=None, help="Act on the `make dev` stack running on this machine."
        ),
        click.option(
            "--stage", metavar="NAME", help="Act on a deployed stage (AWS credentials and region from the environment)."
        ),
        click.option(
            "--json", "as_json", is_flag=True, default=None, help="Print JSON (for programs) instead of a table."
        ),
        click.option(
            "--lang",
            type=click.Choice(catalogs.languages()),
            help="Labels in this language (default: the form's email_lang).",
        ),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def run_from(ctx: click.Context, local: bool | None, stage: str | None, as_json: bool | None, lang: str | None) -> Run:
    """The command's own options over the group's."""
    given: Where = ctx.find_object(Where) or Where()
    return Run(
        Where(
            local=given.local if local is None else local,
            stage=stage or given.stage,
            as_json=given.as_json if as_json is None else as_json,
            lang=lang or given.lang,
        )
    )


def submission_id(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """Click callback: an id as printed by `letterbox list`, else a usage error."""
    normalised = normalised_id(value)
    if normalised is None:
        raise click.BadParameter(
            f"{value!r} is not a submission id (26 letters and digits, like 01KAX3Z8W6V1R2F7D9QH0M4N5P)"
        )
    return normalised
