"""`letterbox`: the organizers' console. Exit codes: 0 done, 1 failed, 2 usage (a wrong option or argument)."""

from __future__ import annotations

import logging
from typing import Any

import click
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core.aws_errors import StorageError
from chalicelib.core.config_keys import ConfigError
from chalicelib.core.sealing import BadIdentity
from letterbox import commands_act, commands_read, commands_wall, keygen, snippet
from letterbox.erase import EraseFailed
from letterbox.reading import Undecryptable
from letterbox.resend import ResendRefused
from letterbox.run import Where, where_options
from letterbox.target import TargetError
from letterbox.wall_edits import WallRefused

FAILED = 1
# What a failure says: the kind and AWS's code, never a message that could quote a key or a value.
EXPECTED = (TargetError, ResendRefused, ConfigError, StorageError, EraseFailed, BadIdentity, Undecryptable, WallRefused)


class LetterboxGroup(click.Group):
    """Turns the failures an organizer can meet into one clear line and exit code 1."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # in the order an organizer meets them, not alphabetical

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EXPECTED as error:
            raise click.ClickException(str(error)) from None
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "?")
            raise click.ClickException(f"AWS refused: {code} ({error.operation_name})") from None
        except BotoCoreError as error:
            raise click.ClickException(f"could not reach AWS: {type(error).__name__}") from None


@click.group(
    cls=LetterboxGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="""\b
Examples:
  letterbox --local list                                   the `make dev` stack
  letterbox --stage prod list --form action-report --since 7d
  letterbox --stage prod export --form action-report --since 7d --out reports.csv
  letterbox --stage prod delete 01KAX3Z8W6V1R2F7D9QH0M4N5P
  letterbox --stage prod dead-letters --redrive
  letterbox --stage prod wall pending                        reports waiting to be published
  letterbox COMMAND --help                                 more on one command

\b
Dates are days in UTC: 2026-11-14, today, yesterday, 7d (seven days ago).
Exit codes: 0 done, 1 failed, 2 wrong usage.""",
)
@where_options
@click.pass_context
def cli(ctx: click.Context, local: bool | None, stage: str | None, as_json: bool | None, lang: str | None) -> None:
    """Read, export and forget the submissions letterbox stored, and look after its emails.

    Say where with --local (the `make dev` stack on this machine) or --stage NAME (a deployed
    stage; AWS credentials, profile and region come from the usual AWS settings, e.g. AWS_PROFILE).
    Tables on a terminal; plain lines when piped; JSON with --json.
    """
    ctx.obj = Where(local=bool(local), stage=stage, as_json=bool(as_json), lang=lang)
    # One line per action that changes something (ids and counts only), on standard error.
    logging.basicConfig(level=logging.WARNING, format="letterbox: %(message)s")
    logging.getLogger("letterbox").setLevel(logging.INFO)


for command in (
    commands_read.list_command,
    commands_read.show_command,
    commands_read.export_command,
    commands_read.files_command,
    commands_act.delete_command,
    commands_read.stats_command,
    commands_act.dead_letters_command,
    commands_act.resend_command,
    commands_wall.wall_group,
    keygen.keygen_command,
    snippet.snippet_command,
):
    cli.add_command(command)


def main() -> None:
    cli.main(prog_name="letterbox")
