"""Settings are read once, checked, and a wrong one is named."""

from __future__ import annotations

import json

import pytest

from chalicelib.core.settings import HCAPTCHA_TEST_SECRET, HCAPTCHA_TEST_SITEKEY, ConfigError, Settings

BASE = {
    "LETTERBOX_BUCKET": "bucket",
    "HCAPTCHA_SITEKEY": "site-key",
    "HCAPTCHA_SECRET": "0xsecret",
}


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
        ({"LETTERBOX_EMAIL_LANG": "de"}, "LETTERBOX_EMAIL_LANG"),
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
    ],
)
def test_production_refuses_test_keys_and_plain_http(change: dict[str, str], named: str) -> None:
    Settings.from_env({**BASE, **change})  # fine outside production

    with pytest.raises(ConfigError, match=named):
        Settings.from_env({**BASE, "LETTERBOX_STAGE": "prod", **change})


def test_captcha_off_needs_no_keys() -> None:
    settings = Settings.from_env({"LETTERBOX_BUCKET": "b", "LETTERBOX_CAPTCHA": "off"})
    assert settings.captcha_enabled is False


def test_origins_are_normalised_and_per_form_options_override_defaults() -> None:
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
