"""letterbox.toml's encrypt_to and clear_fields: parsed, and every mistake refused with its line, form and key."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from chalicelib.core.config_file import parse
from chalicelib.core.config_keys import ConfigError
from chalicelib.core.form_choices import FormChoices
from chalicelib.core.sealing import new_identity
from deploy.config_check import stage_choices

RECIPIENT = new_identity()[1]
OTHER = new_identity()[1]
PLAIN_FORM = {"properties": {"kind": {"type": "string"}, "country": {"type": "string"}, "text": {"type": "string"}}}
FILES_FORM = {"properties": {**PLAIN_FORM["properties"], "attachments": {"type": "array", "x-widget": "attachments"}}}


def project(tmp_path: Path, text: str) -> Path:
    """A project with two forms (one takes files) and this letterbox.toml, shipped as a deploy ships it."""
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "testimony.json").write_text(json.dumps(PLAIN_FORM), encoding="utf-8")
    (tmp_path / "schemas" / "letter-copy.json").write_text(json.dumps(FILES_FORM), encoding="utf-8")
    (tmp_path / "letterbox.toml").write_text(textwrap.dedent(text), encoding="utf-8")
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "letterbox.toml").symlink_to("../letterbox.toml")
    return tmp_path


def at_start(directory: Path) -> FormChoices:
    """As the functions read it when they start."""
    env = {"LETTERBOX_CONFIG": str(directory / "letterbox.toml"), "LETTERBOX_STAGE": "prod"}
    return FormChoices.from_env(env, form_names={"testimony", "letter-copy"}, schemas_dir=directory / "schemas")


def refusals(directory: Path) -> list[str]:
    """What the start and the deploy say of the file: the same, each time."""
    with pytest.raises(ConfigError) as started:
        at_start(directory)
    with pytest.raises(ConfigError) as deployed:
        stage_choices(directory, "prod", {})
    assert str(started.value).replace(str(directory / "letterbox.toml"), "letterbox.toml") == str(deployed.value)
    return str(deployed.value).splitlines()


def test_a_form_encrypts_to_its_recipients_and_keeps_its_clear_fields(tmp_path: Path) -> None:
    directory = project(
        tmp_path,
        f"""
        [forms.testimony]
        encrypt_to = ["{RECIPIENT}", "{OTHER}"]
        clear_fields = ["country"]
        """,
    )

    choices = stage_choices(directory, "prod", {})

    assert choices.options_for("testimony").encrypt_to == (RECIPIENT, OTHER)
    assert choices.options_for("testimony").clear_fields == ("country",)
    assert choices.options_for("testimony").encrypts
    assert not choices.options_for("letter-copy").encrypts
    assert at_start(directory).named == choices.named


def test_by_default_nothing_is_encrypted_and_nothing_is_clear() -> None:
    options = FormChoices.from_env({"LETTERBOX_CONFIG": "/dev/null"}, form_names=set()).default

    assert (options.encrypt_to, options.clear_fields, options.encrypts) == ((), (), False)


def test_a_malformed_recipient_is_refused_with_its_line_form_and_key_showing_only_its_start() -> None:
    long_bad = "age1" + "q" * 58
    with pytest.raises(ConfigError) as error:
        parse(
            f'[forms.testimony]\nclear_fields = ["country"]\nencrypt_to = ["{RECIPIENT}", "{long_bad}"]\n',
            "letterbox.toml",
            {"testimony"},
        )

    message = str(error.value)
    assert message.startswith("letterbox.toml line 3: forms.testimony.encrypt_to[1]: 'age1qqqqqqqq\u2026'")
    assert "is not an age recipient" in message
    assert long_bad not in message


@pytest.mark.parametrize(
    "value",
    [
        '"age1abc"',  # a string, not a list
        '["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"]',
        '["age1pq1abcdefghijklmnopqrstuvwxyz"]',  # post-quantum: pyrage does not take it
        '["AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"]',
        "[42]",
    ],
)
def test_what_is_not_an_age_recipient_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^letterbox\.toml line 2: forms\.testimony\.encrypt_to"):
        parse(f"[forms.testimony]\nencrypt_to = {value}\n", "letterbox.toml", {"testimony"})


def test_a_secret_key_put_where_a_recipient_goes_is_never_printed_whole() -> None:
    secret = new_identity()[0]
    with pytest.raises(ConfigError) as error:
        parse(f'[forms.testimony]\nencrypt_to = ["{secret}"]\n', "letterbox.toml", {"testimony"})

    assert secret not in str(error.value)
    assert "'AGE-SECRET-K\u2026'" in str(error.value)


def test_a_clear_field_the_form_does_not_have_is_refused_at_start_and_at_deploy(tmp_path: Path) -> None:
    directory = project(
        tmp_path,
        f"""
        [forms.testimony]
        encrypt_to = ["{RECIPIENT}"]
        clear_fields = ["country", "contry"]
        """,
    )

    assert refusals(directory) == [
        "letterbox.toml line 4: forms.testimony.clear_fields[1]: 'contry' is not a field of the form testimony "
        "(its fields: kind, country, text)"
    ]


def test_a_stage_table_is_named_when_it_is_where_the_clear_fields_come_from(tmp_path: Path) -> None:
    directory = project(
        tmp_path,
        f"""
        [forms.testimony]
        encrypt_to = ["{RECIPIENT}"]

        [stages.prod.forms.testimony]
        clear_fields = ["city"]
        """,
    )

    with pytest.raises(ConfigError) as error:
        stage_choices(directory, "prod", {})

    assert str(error.value).startswith("letterbox.toml line 6: stages.prod.forms.testimony.clear_fields[0]: 'city'")


def test_a_form_with_files_can_be_encrypted(tmp_path: Path) -> None:
    # Its files are encrypted in the browser (chalicelib/core/sealed_files.py).
    directory = project(tmp_path, f'[forms.letter-copy]\nencrypt_to = ["{RECIPIENT}"]\n')

    assert at_start(directory).options_for("letter-copy").encrypt_to == (RECIPIENT,)
    assert stage_choices(directory, "prod", {}).options_for("letter-copy").encrypt_to == (RECIPIENT,)
