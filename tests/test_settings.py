"""Settings are read once, checked, and a wrong one is named."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from chalicelib.core import form_choices
from chalicelib.core.config_file import parse
from chalicelib.core.form_choices import FormChoices, known_form_names
from chalicelib.core.settings import HCAPTCHA_TEST_SECRET, HCAPTCHA_TEST_SITEKEY, ConfigError, Settings
from devstack.__main__ import allowed_pages
from devstack.stack import LocalStack, Ports, stage_env

ROOT = Path(__file__).resolve().parent.parent
BASE = {
    "LETTERBOX_BUCKET": "bucket",
    "HCAPTCHA_SITEKEY": "site-key",
    "HCAPTCHA_SECRET": "0xsecret",
    "LETTERBOX_CONFIG": os.devnull,  # an empty file: the built-in defaults, whatever letterbox.toml says
}
LOCAL = {"LETTERBOX_LOCAL": "1"}
TEST_KEYS = {"HCAPTCHA_SITEKEY": HCAPTCHA_TEST_SITEKEY, "HCAPTCHA_SECRET": HCAPTCHA_TEST_SECRET}
CAMPAIGN = """
organizers = ["anna@campaign.example"]
origins = ["https://campaign.example"]

[forms.letter-copy]
origins = ["https://campaign.example", "https://letters.campaign.example"]
email_lang = "ru"

[stages.dev]
origins = ["http://127.0.0.1:8080", "http://localhost:8080"]

[stages.prod.forms.action-report]
captcha = "off"
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_defaults_are_safe_and_complete() -> None:
    settings = Settings.from_env(BASE)

    assert settings.stage == "dev"
    assert settings.captcha_enabled is True
    assert settings.hcaptcha_verify_url == "https://api.hcaptcha.com/siteverify"
    assert settings.hcaptcha_send_remoteip is False
    assert settings.max_body_bytes == 65536
    assert settings.options_for("any-form").origins == ()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"LETTERBOX_BUCKET": ""}, "LETTERBOX_BUCKET"),
        ({"HCAPTCHA_SECRET": ""}, "HCAPTCHA_SECRET"),
        ({"HCAPTCHA_SITEKEY": ""}, "HCAPTCHA_SITEKEY"),
        ({"LETTERBOX_CAPTCHA": "maybe"}, "LETTERBOX_CAPTCHA"),
        ({"LETTERBOX_MAX_BODY_BYTES": "lots"}, "LETTERBOX_MAX_BODY_BYTES"),
        ({"LETTERBOX_ORIGINS": "campaign.org"}, "LETTERBOX_ORIGINS"),
        ({"LETTERBOX_ORIGINS": "https://campaign.org/page"}, "LETTERBOX_ORIGINS"),
        ({"LETTERBOX_FORM_OPTIONS": "{not json"}, "LETTERBOX_FORM_OPTIONS"),
        ({"LETTERBOX_FORM_OPTIONS": '{"letter-copy": {"origin": []}}'}, "LETTERBOX_FORM_OPTIONS"),
        ({"LETTERBOX_RETRY_DELAY_SECONDS": "-1"}, "LETTERBOX_RETRY_DELAY_SECONDS"),
        ({"LETTERBOX_EMAIL_LANG": "pl"}, "LETTERBOX_EMAIL_LANG"),
        ({"LETTERBOX_API_URL": "abc.execute-api.us-east-1.amazonaws.com/api/"}, "LETTERBOX_API_URL"),
        ({"LETTERBOX_API_URL": "https://api.campaign.example/?token=x"}, "LETTERBOX_API_URL"),
    ],
)
def test_a_bad_setting_is_refused_by_name(change: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env({**BASE, **change})


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"HCAPTCHA_SITEKEY": HCAPTCHA_TEST_SITEKEY}, "HCAPTCHA_SITEKEY"),
        ({"HCAPTCHA_SECRET": HCAPTCHA_TEST_SECRET}, "HCAPTCHA_SECRET"),
        ({"HCAPTCHA_VERIFY_URL": "http://127.0.0.1:4567/siteverify"}, "HCAPTCHA_VERIFY_URL"),
        ({"LETTERBOX_API_URL": "http://127.0.0.1:8000"}, "LETTERBOX_API_URL"),
    ],
)
@pytest.mark.parametrize("stage", ["prod", "production", "Prod", "staging", "dev"])
def test_every_stage_but_the_local_stack_refuses_test_keys_and_plain_http(
    change: dict[str, str], named: str, stage: str
) -> None:
    local = Settings.from_env({**BASE, **LOCAL, "LETTERBOX_STAGE": stage, **change})  # the local stack may
    assert local.is_local is True

    with pytest.raises(ConfigError, match=named):
        Settings.from_env({**BASE, "LETTERBOX_STAGE": stage, **change})


@pytest.mark.parametrize("lambda_variable", ["AWS_LAMBDA_FUNCTION_NAME", "LAMBDA_TASK_ROOT"])
def test_inside_lambda_the_local_marker_is_refused_not_obeyed(lambda_variable: str) -> None:
    in_lambda = {**BASE, **TEST_KEYS, lambda_variable: "letterbox-dev-api_handler"}

    with pytest.raises(ConfigError, match="LETTERBOX_LOCAL is set inside Lambda"):
        Settings.from_env({**in_lambda, **LOCAL})
    with pytest.raises(ConfigError, match="HCAPTCHA_SITEKEY is hCaptcha's public test key"):
        Settings.from_env(in_lambda)
    assert Settings.from_env({**BASE, lambda_variable: "x"}).is_local is False


def test_the_local_marker_is_explicit_and_off_by_default() -> None:
    assert Settings.from_env(BASE).is_local is False
    assert Settings.from_env({**BASE, "LETTERBOX_LOCAL": "0"}).is_local is False
    assert Settings.from_env({**BASE, **LOCAL}).is_local is True
    with pytest.raises(ConfigError, match="LETTERBOX_LOCAL must be on or off"):
        Settings.from_env({**BASE, "LETTERBOX_LOCAL": "maybe"})


def test_the_local_stacks_demo_site_is_allowed_for_every_form_only_locally() -> None:
    demo = {"LETTERBOX_LOCAL_ORIGINS": "http://127.0.0.1:5111 http://localhost:5111"}
    options = json.dumps({"letter-copy": {"origins": ["https://letters.campaign.example"]}})
    env = {**BASE, **LOCAL, **demo, "LETTERBOX_ORIGINS": "https://campaign.example", "LETTERBOX_FORM_OPTIONS": options}

    settings = Settings.from_env(env)

    assert settings.options_for("action-report").origins == (
        "https://campaign.example",
        "http://127.0.0.1:5111",
        "http://localhost:5111",
    )
    assert settings.options_for("letter-copy").origins[-2:] == ("http://127.0.0.1:5111", "http://localhost:5111")
    with pytest.raises(ConfigError, match="LETTERBOX_LOCAL_ORIGINS is for the local stack only"):
        Settings.from_env({**BASE, **demo})


def test_captcha_off_needs_no_keys() -> None:
    settings = Settings.from_env({"LETTERBOX_BUCKET": "b", "LETTERBOX_CAPTCHA": "off"})
    assert settings.captcha_enabled is False
    assert settings.captcha_for("letter-copy") is False


def test_origins_are_normalised_and_per_form_options_override_defaults(caplog: pytest.LogCaptureFixture) -> None:
    form_choices._say_form_options_are_deprecated.cache_clear()
    options = {"letter-copy": {"organizers": ["press@campaign.org"], "metadata_only": True, "lang": "ru"}}
    settings = Settings.from_env(
        {
            **BASE,
            "LETTERBOX_ORIGINS": "https://Campaign.org  https://www.campaign.org/",
            "LETTERBOX_ORGANIZERS": "a@campaign.org, b@campaign.org",
            "LETTERBOX_FORM_OPTIONS": json.dumps(options),
        }
    )

    assert settings.options_for("action-report").origins == ("https://campaign.org", "https://www.campaign.org")
    assert settings.options_for("action-report").organizers == ("a@campaign.org", "b@campaign.org")
    letters = settings.options_for("letter-copy")
    assert letters.organizers == ("press@campaign.org",)
    assert letters.origins == ("https://campaign.org", "https://www.campaign.org")
    assert letters.metadata_only is True
    assert letters.lang == "ru"
    assert letters.captcha == "hcaptcha"
    deprecations = [r for r in caplog.records if "LETTERBOX_FORM_OPTIONS is deprecated" in r.getMessage()]
    assert [r.levelno for r in deprecations] == [logging.WARNING]


def test_the_deprecation_of_letterbox_form_options_is_said_once(caplog: pytest.LogCaptureFixture) -> None:
    form_choices._say_form_options_are_deprecated.cache_clear()
    env = {**BASE, "LETTERBOX_FORM_OPTIONS": json.dumps({"letter-copy": {"captcha": False}})}

    first = Settings.from_env(env)
    Settings.from_env(env)
    Settings.from_env(BASE)

    records = [r for r in caplog.records if "LETTERBOX_FORM_OPTIONS" in r.getMessage()]
    assert first.captcha_for("letter-copy") is False
    assert first.captcha_for("action-report") is True
    assert len(records) == 1
    assert "letterbox.toml" in records[0].getMessage()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"letter-copy": {"lang": "pl"}}, r"LETTERBOX_FORM_OPTIONS\['letter-copy'\]\.lang: 'pl' is not a language"),
        ({"letter-copy": {"organizers": ["not an address"]}}, r"\.organizers\[0\]: 'not an address'"),
        ({"letter-copy": {"metadata_only": "yes"}}, r"\.metadata_only: must be true or false"),
        ({"letter-copy": []}, r"LETTERBOX_FORM_OPTIONS\['letter-copy'\] must be a JSON object"),
    ],
)
def test_letterbox_form_options_values_are_checked_as_the_files_are(options: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({**BASE, "LETTERBOX_FORM_OPTIONS": json.dumps(options)})


def test_letterbox_form_options_still_wins_over_the_file_and_the_variables(tmp_path: Path) -> None:
    env = {
        **BASE,
        "LETTERBOX_CONFIG": write(tmp_path, CAMPAIGN),
        "LETTERBOX_STAGE": "prod",
        "LETTERBOX_ORGANIZERS": "all@campaign.example",
        "LETTERBOX_FORM_OPTIONS": json.dumps({"letter-copy": {"organizers": ["press@campaign.example"]}}),
    }

    settings = Settings.from_env(env)

    assert settings.options_for("letter-copy").organizers == ("press@campaign.example",)
    assert settings.options_for("letter-copy").lang == "ru"  # the file, where the old variable says nothing
    assert settings.options_for("action-report").organizers == ("all@campaign.example",)


# --- letterbox.toml, as Settings reads it --------------------------------------------------------


def test_the_file_is_read_per_stage_and_per_form(tmp_path: Path) -> None:
    env = {**BASE, "LETTERBOX_CONFIG": write(tmp_path, CAMPAIGN)}

    prod = Settings.from_env({**env, "LETTERBOX_STAGE": "prod"})
    dev = Settings.from_env(env)

    assert prod.options_for("action-report").origins == ("https://campaign.example",)
    assert prod.options_for("letter-copy").origins == ("https://campaign.example", "https://letters.campaign.example")
    assert prod.options_for("letter-copy").organizers == ("anna@campaign.example",)
    assert prod.options_for("letter-copy").lang == "ru"
    assert prod.captcha_for("action-report") is False
    assert prod.captcha_for("letter-copy") is True
    # The dev stage replaces every form's origins, the form's own included.
    for form in ("action-report", "letter-copy"):
        assert dev.options_for(form).origins == ("http://127.0.0.1:8080", "http://localhost:8080")
    assert dev.options_for("letter-copy").lang == "ru"
    assert dev.captcha_for("action-report") is True


def test_the_bucket_allows_uploads_from_every_origin_any_form_allows(tmp_path: Path) -> None:
    settings = Settings.from_env({**BASE, "LETTERBOX_CONFIG": write(tmp_path, CAMPAIGN), "LETTERBOX_STAGE": "prod"})

    assert settings.all_origins == ("https://campaign.example", "https://letters.campaign.example")


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "LETTERBOX_ORIGINS",
            "https://Other.example, https://www.other.example/",
            ("origins", ("https://other.example", "https://www.other.example")),
        ),
        (
            "LETTERBOX_ORGANIZERS",
            "b@campaign.example, c@campaign.example",
            ("organizers", ("b@campaign.example", "c@campaign.example")),
        ),
        ("LETTERBOX_EMAIL_LANG", "en", ("lang", "en")),
        ("LETTERBOX_METADATA_ONLY", "on", ("metadata_only", True)),
        ("LETTERBOX_CAPTCHA", "off", ("captcha", "off")),
        ("LETTERBOX_CAPTCHA", "on", ("captcha", "hcaptcha")),
        ("LETTERBOX_CAPTCHA", "hcaptcha", ("captcha", "hcaptcha")),
    ],
)
def test_a_variable_overrides_its_key_for_every_form_in_every_table(
    tmp_path: Path, variable: str, value: str, expected: tuple[str, object]
) -> None:
    env = {**BASE, "LETTERBOX_CONFIG": write(tmp_path, CAMPAIGN), "LETTERBOX_STAGE": "prod", variable: value}

    settings = Settings.from_env(env)

    attribute, wanted = expected
    for form in ("action-report", "letter-copy", "a-form-the-file-does-not-name"):
        assert getattr(settings.options_for(form), attribute) == wanted, form
    assert settings.forms.overridden_by == (variable,)


def test_an_empty_variable_overrides_nothing(tmp_path: Path) -> None:
    env = {**BASE, "LETTERBOX_CONFIG": write(tmp_path, CAMPAIGN), "LETTERBOX_ORIGINS": "  ", "LETTERBOX_ORGANIZERS": ""}

    settings = Settings.from_env(env)

    assert settings.options_for("letter-copy").origins == ("http://127.0.0.1:8080", "http://localhost:8080")
    assert settings.options_for("letter-copy").organizers == ("anna@campaign.example",)


def test_a_variable_is_checked_as_the_files_key_is() -> None:
    with pytest.raises(ConfigError, match=r"^LETTERBOX_ORGANIZERS\[1\]: 'b@' is not an email address"):
        Settings.from_env({**BASE, "LETTERBOX_ORGANIZERS": "a@campaign.example, b@"})
    with pytest.raises(ConfigError, match=r"^LETTERBOX_CAPTCHA: 'recaptcha' is not a captcha letterbox knows"):
        Settings.from_env({**BASE, "LETTERBOX_CAPTCHA": "recaptcha"})


def test_a_wrong_file_is_refused_at_start_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'origins = ["https://campaign.example"]\n\n[forms.letter-copy]\norigins = "x"\n')

    with pytest.raises(ConfigError, match=r"campaign\.toml line 4: forms\.letter-copy\.origins: must be a list"):
        Settings.from_env({**BASE, "LETTERBOX_CONFIG": path})


def test_a_form_the_schemas_do_not_have_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "[forms.letter-copi]\nemail_lang = 'ru'\n")

    with pytest.raises(ConfigError, match=r"line 1: forms\.letter-copi: no form 'letter-copi'.*'letter-copy'"):
        Settings.from_env({**BASE, "LETTERBOX_CONFIG": path})
    # The forms may be given, so the check needs no schemas directory.
    assert (
        Settings.from_env({**BASE, "LETTERBOX_CONFIG": path}, form_names={"letter-copi"})
        .options_for("letter-copi")
        .lang
        == "ru"
    )


def test_letterbox_config_naming_a_missing_file_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"

    with pytest.raises(ConfigError, match=f"LETTERBOX_CONFIG names {missing}, which does not exist"):
        Settings.from_env({**BASE, "LETTERBOX_CONFIG": str(missing)})


def test_a_parsed_file_may_be_given_instead_of_read() -> None:
    config = parse('origins = ["https://campaign.example"]', "given.toml")

    settings = Settings.from_env({**BASE, "LETTERBOX_STAGE": "prod"}, config=config)

    assert settings.options_for("letter-copy").origins == ("https://campaign.example",)
    assert settings.forms.source == "given.toml"


def test_without_letterbox_config_the_file_next_to_app_py_is_read() -> None:
    env = {key: value for key, value in BASE.items() if key != "LETTERBOX_CONFIG"}

    settings = Settings.from_env(env)

    assert settings.forms.source == "letterbox.toml"
    assert form_choices.DEFAULT_CONFIG == ROOT / "letterbox.toml"


def test_the_committed_file_is_valid_and_its_dev_stage_allows_the_demo_site() -> None:
    demo = ("http://127.0.0.1:8080", "http://localhost:8080")
    choices = FormChoices.from_env({"LETTERBOX_CONFIG": str(ROOT / "letterbox.toml")})

    assert known_form_names() == {"action-report", "letter-copy"}
    for form in known_form_names():
        assert set(demo) <= set(choices.options_for(form).origins)
    # Deployed stages get nothing of the local stack's.
    prod = FormChoices.from_env({"LETTERBOX_CONFIG": str(ROOT / "letterbox.toml"), "LETTERBOX_STAGE": "prod"})
    assert not set(demo) & set(prod.all_origins)


def test_the_package_ships_the_file_through_a_vendor_link() -> None:
    link = ROOT / "vendor" / "letterbox.toml"
    assert link.is_symlink()
    assert link.resolve() == (ROOT / "letterbox.toml").resolve()


# --- the local stack (make dev) reads the same file ----------------------------------------------


def test_the_local_stack_marks_itself_local_and_allows_its_demo_site_on_any_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LETTERBOX_CONFIG", raising=False)
    stack = LocalStack(Ports(demo=5111))
    env = {**stage_env("dev"), **stack.local_env()}

    choices = FormChoices.from_env(env)

    assert stack.local_env()["LETTERBOX_LOCAL"] == "1"
    assert "LETTERBOX_ORIGINS" not in env  # the operator's, if set, reaches the API untouched
    for form in known_form_names():
        assert choices.options_for(form).origins == (
            "http://127.0.0.1:8080",  # letterbox.toml's [stages.dev]
            "http://localhost:8080",
            "http://127.0.0.1:5111",  # the demo site, where this stack serves it
            "http://localhost:5111",
        )
    assert Settings.from_env({**env, "LETTERBOX_BUCKET": "b"}).is_local is True  # .chalice's test keys pass


def test_chalice_local_on_the_dev_stage_alone_is_local_and_emails_the_files_organizers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LETTERBOX_CONFIG", raising=False)
    env = {**stage_env("dev"), "LETTERBOX_BUCKET": "b"}  # what `chalice local --stage dev` gives the app

    settings = Settings.from_env(env)

    assert settings.is_local is True
    assert settings.uses_test_captcha_keys is True
    for form in known_form_names():
        assert settings.options_for(form).organizers == ("organizers@example.org",)  # letterbox.toml's [stages.dev]
    with pytest.raises(ConfigError, match="LETTERBOX_LOCAL is set inside Lambda"):
        Settings.from_env({**env, "AWS_LAMBDA_FUNCTION_NAME": "letterbox-dev"})


def test_the_banner_lists_each_form_and_what_it_allows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LETTERBOX_CONFIG", write(tmp_path, CAMPAIGN.replace("[stages.dev]", "[stages.dev.forms.x]")))
    monkeypatch.setenv("LETTERBOX_ORIGINS", "https://mine.example")
    stack = LocalStack(Ports(demo=5111))
    with pytest.raises(ConfigError, match=r"stages\.dev\.forms\.x: no form 'x'"):
        stack.choices = FormChoices.from_env({**stage_env("dev"), **stack.local_env()})

    monkeypatch.setenv("LETTERBOX_CONFIG", write(tmp_path, CAMPAIGN))
    stack.choices = FormChoices.from_env({**os.environ, **stage_env("dev"), **stack.local_env()})

    lines = allowed_pages(stack)
    assert lines[0].startswith("  allowed pages  from ")
    assert "campaign.toml, stage dev (LETTERBOX_ORIGINS overrides it)" in lines[0]
    assert lines[1:] == [
        "    action-report  https://mine.example http://127.0.0.1:5111 http://localhost:5111",
        "    letter-copy    https://mine.example http://127.0.0.1:5111 http://localhost:5111",
    ]


@pytest.mark.parametrize("value", ["1", "1001", "two", "-3"])
def test_notify_concurrency_is_what_sqs_allows(value: str) -> None:
    with pytest.raises(ConfigError, match="LETTERBOX_NOTIFY_CONCURRENCY"):
        Settings.from_env({**BASE, "LETTERBOX_NOTIFY_CONCURRENCY": value})


def test_the_sending_rate_defaults_to_the_ses_sandbox() -> None:
    settings = Settings.from_env(BASE)

    assert (settings.send_rate, settings.notify_concurrency) == (1.0, 2)
    assert Settings.from_env({**BASE, "LETTERBOX_SEND_RATE": "14"}).send_rate == 14.0
