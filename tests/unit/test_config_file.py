"""letterbox.toml: the lookup order, and every kind of mistake refused with its line, key and what is expected."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest

from chalicelib.core.config_file import NO_FILE, ConfigFile, all_origins, load, parse
from chalicelib.core.config_keys import CAPTCHAS, KEYS, ConfigError
from chalicelib.core.form_choices import FormOptions
from deploy.config_check import stage_choices

FORMS = {"action-report", "letter-copy"}
EXAMPLE = """\
organizers = ["anna@campaign.example"]
origins = ["https://campaign.example"]

[forms.letter-copy]
origins = ["https://campaign.example", "https://letters.campaign.example"]

[stages.dev]
origins = ["http://127.0.0.1:8080", "http://localhost:8080"]
"""


def checked(text: str) -> ConfigFile:
    return parse(textwrap.dedent(text), "letterbox.toml", FORMS)


def refusal(text: str) -> str:
    with pytest.raises(ConfigError) as error:
        checked(text)
    return str(error.value)


# --- the lookup order ----------------------------------------------------------------------------


def test_the_example_reads_as_the_organizers_expect() -> None:
    config = checked(EXAMPLE)

    prod_letters = config.lookup("prod", "letter-copy")
    assert prod_letters["origins"] == ("https://campaign.example", "https://letters.campaign.example")
    assert prod_letters["organizers"] == ("anna@campaign.example",)
    assert config.lookup("prod", "action-report")["origins"] == ("https://campaign.example",)
    # The dev stage allows only the local origins, for every form: a stage beats a form.
    local = ("http://127.0.0.1:8080", "http://localhost:8080")
    assert config.lookup("dev", "letter-copy")["origins"] == local
    assert config.lookup("dev", "action-report")["origins"] == local
    assert config.lookup("dev", None)["organizers"] == ("anna@campaign.example",)


def test_stage_and_form_beats_stage_beats_form_beats_top_level() -> None:
    config = checked(
        """
        email_lang = "en"
        captcha = "hcaptcha"
        metadata_only = false
        safe_fields = ["top"]
        [forms.letter-copy]
        captcha = "off"
        metadata_only = true
        safe_fields = ["form"]
        [stages.prod]
        metadata_only = false
        safe_fields = ["stage"]
        [stages.prod.forms.letter-copy]
        safe_fields = ["stage-and-form"]
        """
    )

    letters = config.lookup("prod", "letter-copy")
    assert letters["safe_fields"] == ("stage-and-form",)
    assert letters["metadata_only"] is False  # the stage's, over the form's
    assert letters["captcha"] == "off"  # the form's, over the top level's
    assert letters["email_lang"] == "en"  # the top level's
    assert config.lookup("prod", "action-report")["safe_fields"] == ("stage",)
    assert config.lookup("dev", "letter-copy")["safe_fields"] == ("form",)
    assert config.lookup("dev", "action-report")["safe_fields"] == ("top",)
    assert config.lookup("dev", None) == {
        "email_lang": "en",
        "captcha": "hcaptcha",
        "metadata_only": False,
        "safe_fields": ("top",),
    }


def test_a_key_no_table_sets_is_left_to_the_built_in_default() -> None:
    assert checked(EXAMPLE).lookup("prod", "letter-copy").keys() == {"origins", "organizers"}
    assert NO_FILE.lookup("prod", "letter-copy") == {}
    assert parse("").lookup("dev") == {}


def test_the_forms_named_are_those_of_every_stage_and_of_this_one() -> None:
    config = checked(
        """
        [forms.letter-copy]
        email_lang = "ru"
        [stages.prod.forms.action-report]
        captcha = "off"
        """
    )

    assert config.named_forms("prod") == {"letter-copy", "action-report"}
    assert config.named_forms("dev") == {"letter-copy"}


def test_all_origins_is_every_origin_any_form_allows_in_the_stage() -> None:
    config = checked(
        EXAMPLE
        + """
[stages.staging.forms.action-report]
origins = ["https://staging.campaign.example"]
"""
    )

    assert all_origins(config, "prod") == ("https://campaign.example", "https://letters.campaign.example")
    assert all_origins(config, "dev") == ("http://127.0.0.1:8080", "http://localhost:8080")
    assert all_origins(config, "staging") == (
        "https://campaign.example",
        "https://staging.campaign.example",
        "https://letters.campaign.example",
    )
    assert all_origins(NO_FILE, "prod") == ()


def test_values_are_normalised_once_and_duplicates_dropped() -> None:
    config = checked('origins = ["https://Campaign.Example/", "https://campaign.example", "http://localhost:8080"]')

    assert config.values["origins"] == ("https://campaign.example", "http://localhost:8080")


def test_dotted_keys_and_inline_tables_are_the_same_tables() -> None:
    config = checked(
        """
        forms.letter-copy.email_lang = "ru"
        stages = { prod = { forms = { action-report = { captcha = "off" } } } }
        """
    )

    assert config.lookup("prod", "letter-copy")["email_lang"] == "ru"
    assert config.lookup("prod", "action-report")["captcha"] == "off"


def test_every_key_fills_a_field_of_form_options() -> None:
    fields = {f.name for f in dataclasses.fields(FormOptions)}
    assert {key.attribute for key in KEYS.values()} <= fields
    assert set(KEYS) == {
        "origins",
        "organizers",
        "email_lang",
        "metadata_only",
        "safe_fields",
        "captcha",
        "altcha_max_number",
        "encrypt_to",
        "clear_fields",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("altcha_max_number = 2000", 2000),
        ("altcha_max_number = 10", 10),
        ("altcha_max_number = 10_000_000", 10_000_000),
    ],
)
def test_the_altcha_work_is_a_whole_number_in_range(text: str, expected: int) -> None:
    assert checked(text).values["altcha_max_number"] == expected


@pytest.mark.parametrize(
    "text",
    [
        "altcha_max_number = 9",
        "altcha_max_number = 1.5",
        'altcha_max_number = "2000"',
        "altcha_max_number = true",
        "altcha_max_number = 10_000_001",
    ],
)
def test_an_altcha_work_out_of_range_is_refused_with_the_range(text: str) -> None:
    assert "altcha_max_number: must be a whole number from 10 to 10,000,000" in refusal(text)


@pytest.mark.parametrize("captcha", CAPTCHAS)
def test_every_known_captcha_is_accepted(captcha: str) -> None:
    assert checked(f'captcha = "{captcha}"').values["captcha"] == captcha


# --- mistakes: each names the line, the key and what is expected ---------------------------------


def test_a_bad_origin_in_a_list_is_named_with_its_index_and_line() -> None:
    text = EXAMPLE.replace('"https://letters.campaign.example"', '"campaign.example"')

    assert refusal(text) == (
        "letterbox.toml line 5: forms.letter-copy.origins[1]: 'campaign.example' is not an origin like "
        "https://campaign.example"
    )


@pytest.mark.parametrize(
    "origin",
    [
        "campaign.example",
        "https://campaign.example/page",
        "ftp://campaign.example",
        "https://",
        "https://a.example?x=1",
    ],
)
def test_what_is_not_an_origin(origin: str) -> None:
    assert f"origins[0]: {origin!r} is not an origin" in refusal(f'origins = ["{origin}"]')


def test_a_toml_syntax_error_keeps_tomllibs_line_and_column() -> None:
    message = refusal('origins = ["https://campaign.example"\n[forms.letter-copy]\n')

    assert message.startswith("letterbox.toml: ")
    assert "line 2, column 1" in message


def test_an_unknown_key_suggests_the_closest_known_one() -> None:
    message = refusal(
        """
        [forms.letter-copy]
        origin = ["https://campaign.example"]
        """
    )

    assert message == "letterbox.toml line 3: forms.letter-copy.origin: unknown key: did you mean 'origins'?"


def test_an_unknown_key_with_nothing_close_lists_the_known_ones() -> None:
    assert refusal("colour = 'red'").endswith(
        "colour: unknown key (known here: origins, organizers, email_lang, metadata_only, safe_fields, captcha, "
        "altcha_max_number, encrypt_to, clear_fields, forms, stages)"
    )


def test_a_form_written_as_a_top_level_table_is_pointed_to_its_place() -> None:
    assert refusal("[letter-copy]\nemail_lang = 'ru'\n") == (
        "letterbox.toml line 1: letter-copy: unknown key: a form's settings go in [forms.letter-copy]"
    )
    assert "go in [stages.dev.forms.letter-copy]" in refusal("[stages.dev.letter-copy]\nemail_lang = 'ru'\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'origins = "https://campaign.example"',
            "line 1: origins: must be a list like [\"https://campaign.example\"], not 'https://campaign.example' "
            '(write ["https://campaign.example"])',
        ),
        ('organizers = "anna@campaign.example"', "line 1: organizers: must be a list like"),
        ('safe_fields = "kind"', 'line 1: safe_fields: must be a list like ["kind", "date"]'),
        ("metadata_only = [true]", "line 1: metadata_only: must be true or false, not a list"),
        ('metadata_only = "yes"', "line 1: metadata_only: must be true or false, not 'yes'"),
        ("captcha = false", "line 1: captcha: false is not a captcha letterbox knows (hcaptcha, altcha, off)"),
        ("email_lang = 7", "line 1: email_lang: 7 is not a language emails are written in (en, de, es, fr, ru)"),
        ("safe_fields = [1]", "line 1: safe_fields[0]: 1 is not a field name"),
        ("origins = [true]", "line 1: origins[0]: true is not an origin"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(text: str, expected: str) -> None:
    assert expected in refusal(text)


@pytest.mark.parametrize("address", ["anna", "anna@", "@campaign.example", "anna@localhost", "a b@campaign.example"])
def test_a_bad_organizer_address_is_refused(address: str) -> None:
    message = refusal(f'\n\norganizers = ["anna@campaign.example", "{address}"]')

    assert message == (
        f"letterbox.toml line 3: organizers[1]: {address!r} is not an email address like anna@campaign.example"
    )


def test_an_unknown_email_lang_is_refused() -> None:
    message = refusal('[stages.prod.forms.letter-copy]\nemail_lang = "pl"')

    assert message == (
        "letterbox.toml line 2: stages.prod.forms.letter-copy.email_lang: 'pl' is not a language emails are "
        "written in (en, de, es, fr, ru)"
    )


@pytest.mark.parametrize("lang", ["en", "de", "es", "fr", "ru"])
def test_every_shipped_language_is_an_email_lang(lang: str) -> None:
    config = checked(f'[forms.letter-copy]\nemail_lang = "{lang}"')

    assert config.lookup("prod", "letter-copy")["email_lang"] == lang


def test_an_unknown_captcha_is_refused() -> None:
    assert refusal('[stages.prod]\ncaptcha = "recaptcha"') == (
        "letterbox.toml line 2: stages.prod.captcha: 'recaptcha' is not a captcha letterbox knows "
        "(hcaptcha, altcha, off)"
    )


def test_a_form_without_a_schema_is_refused_with_the_closest_name() -> None:
    message = refusal('\n[forms.letter-copi]\norigins = ["https://campaign.example"]')

    assert message == (
        "letterbox.toml line 2: forms.letter-copi: no form 'letter-copi' (schemas/ has action-report, letter-copy); "
        "did you mean 'letter-copy'?"
    )
    assert "stages.dev.forms.petition: no form 'petition'" in refusal("[stages.dev.forms.petition]\ncaptcha = 'off'")


def test_without_the_forms_given_any_form_name_is_taken() -> None:
    assert parse("[forms.petition]\ncaptcha = 'off'").lookup("prod", "petition") == {"captcha": "off"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('stages.dev = "local"', "line 1: stages.dev: must be a table ([stages.dev]), not 'local'"),
        ('stages = ["dev"]', "line 1: stages: must be a table of stages like [stages.prod], not a list"),
        ("[stages]\nprod = true", "line 2: stages.prod: must be a table ([stages.prod]), not true"),
        ("forms = 1", "line 1: forms: must be a table of forms like [forms.letter-copy], not 1"),
        ("[forms]\nletter-copy = 'ru'", "line 2: forms.letter-copy: must be a table ([forms.letter-copy]), not 'ru'"),
        (
            "[stages.dev]\nforms = []",
            "line 2: stages.dev.forms: must be a table of forms like [stages.dev.forms.letter-copy], not a list",
        ),
    ],
)
def test_a_table_that_is_not_a_table_is_refused(text: str, expected: str) -> None:
    assert expected in refusal(text)


def test_every_mistake_is_reported_at_once_in_the_files_order() -> None:
    message = refusal(
        """
        [stages.prod]
        captcha = "recaptcha"
        [forms.letter-copy]
        organizers = ["press"]
        """
    )

    assert message.splitlines() == [
        "letterbox.toml line 3: stages.prod.captcha: 'recaptcha' is not a captcha letterbox knows "
        "(hcaptcha, altcha, off)",
        "letterbox.toml line 5: forms.letter-copy.organizers[0]: 'press' is not an email address like "
        "anna@campaign.example",
    ]


def test_lines_are_found_past_comments_multiline_values_and_quoted_keys() -> None:
    message = refusal(
        '''
        # origins = ["not this line"]
        notes = """
        origins = "nor this one"
        """
        [forms."letter-copy"]
        origins = [
            "https://campaign.example",
            "campaign.example",
        ]
        '''
    )

    assert message.splitlines() == [
        "letterbox.toml line 3: notes: unknown key (known here: origins, organizers, email_lang, metadata_only, "
        "safe_fields, captcha, altcha_max_number, encrypt_to, clear_fields, forms, stages)",
        "letterbox.toml line 7: forms.letter-copy.origins[1]: 'campaign.example' is not an origin like "
        "https://campaign.example",
    ]


def test_a_value_inside_an_inline_table_is_located_at_its_table() -> None:
    message = refusal('\nforms = { letter-copy = { email_lang = "pl" } }')

    assert message.startswith("letterbox.toml line 2: forms.letter-copy.email_lang: 'pl' is not a language")


def test_a_key_that_needs_quotes_is_shown_quoted() -> None:
    assert 'stages."my stage".colour: unknown key' in refusal('[stages."my stage"]\ncolour = 1')


# --- reading the file ----------------------------------------------------------------------------


def test_load_names_the_file_as_given(tmp_path: Path) -> None:
    path = tmp_path / "campaign.toml"
    path.write_text('[forms.letter-copy]\norigins = "x"\n', encoding="utf-8")

    with pytest.raises(ConfigError, match=r"^campaign\.toml line 2: forms\.letter-copy\.origins: must be a list"):
        load(path, forms=FORMS)
    with pytest.raises(ConfigError, match=r"^/etc/letterbox\.toml line 2: "):
        load(path, forms=FORMS, name="/etc/letterbox.toml")


def test_load_leaves_a_missing_file_to_the_caller(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.toml")


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "letterbox.toml"
    path.write_bytes('email_lang = "ru" # русский'.encode("koi8-r"))

    with pytest.raises(ConfigError, match=r"^letterbox\.toml: not UTF-8 text"):
        load(path)


# --- at deploy (deploy/config_check.py) ----------------------------------------------------------


def project(tmp_path: Path, text: str | None, forms: tuple[str, ...] = ("letter-copy",), link: bool = True) -> Path:
    (tmp_path / "schemas").mkdir()
    for form in forms:
        (tmp_path / "schemas" / f"{form}.json").write_text("{}", encoding="utf-8")
    if text is not None:
        (tmp_path / "letterbox.toml").write_text(text, encoding="utf-8")
    if link:
        (tmp_path / "vendor").mkdir()
        (tmp_path / "vendor" / "letterbox.toml").symlink_to("../letterbox.toml")
    return tmp_path


def test_the_deploy_checks_the_projects_file_against_the_projects_forms(tmp_path: Path) -> None:
    directory = project(tmp_path, EXAMPLE + "\n[stages.prod.forms.action-report]\ncaptcha = 'off'\n")

    with pytest.raises(ConfigError, match=r"^letterbox\.toml line 10: stages\.prod\.forms\.action-report: no form"):
        stage_choices(directory, "prod", {})


def test_the_deploy_gets_every_origin_and_organizer_of_the_stage(tmp_path: Path) -> None:
    directory = project(tmp_path, EXAMPLE)

    choices = stage_choices(directory, "prod", {})

    assert choices.all_origins == ("https://campaign.example", "https://letters.campaign.example")
    assert choices.all_organizers == ("anna@campaign.example",)
    overridden = stage_choices(directory, "prod", {"LETTERBOX_ORIGINS": "https://other.example"})
    assert overridden.all_origins == ("https://other.example",)


def test_the_deploy_refuses_a_file_it_would_not_ship(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"vendor/letterbox\.toml must link to \.\./letterbox\.toml"):
        stage_choices(project(tmp_path, EXAMPLE, link=False), "prod", {})
    with pytest.raises(ConfigError, match="LETTERBOX_CONFIG is for local runs"):
        stage_choices(tmp_path, "prod", {"LETTERBOX_CONFIG": "/elsewhere.toml"})


def test_a_project_without_a_file_deploys_on_the_variables_alone(tmp_path: Path) -> None:
    choices = stage_choices(project(tmp_path, None, link=False), "prod", {"LETTERBOX_ORGANIZERS": "a@campaign.example"})

    assert choices.all_organizers == ("a@campaign.example",)
    assert choices.all_origins == ()
