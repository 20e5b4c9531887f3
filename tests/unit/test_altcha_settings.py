"""A campaign on ALTCHA alone needs no hCaptcha account: neither at start nor at deploy."""

from __future__ import annotations

import pytest

from chalicelib.core.settings import ConfigError, FormChoices, Settings
from deploy.stage_config import StageConfigError, StageSettings

ALTCHA_ONLY = {"LETTERBOX_BUCKET": "b", "LETTERBOX_CAPTCHA": "altcha", "LETTERBOX_ORGANIZERS": "anna@example.org"}


def test_a_stage_on_altcha_starts_without_hcaptchas_keys_and_takes_its_work_from_the_variable() -> None:
    settings = Settings.from_env({**ALTCHA_ONLY, "LETTERBOX_ALTCHA_MAX_NUMBER": "2000"})

    assert settings.is_production
    assert settings.options_for("letter-copy").captcha == "altcha"
    assert settings.options_for("letter-copy").altcha_max_number == 2000
    assert Settings.from_env(ALTCHA_ONLY).options_for("letter-copy").altcha_max_number == 500


def test_a_form_on_hcaptcha_still_needs_its_keys() -> None:
    with pytest.raises(ConfigError, match="HCAPTCHA_SITEKEY is not set"):
        Settings.from_env({**ALTCHA_ONLY, "LETTERBOX_CAPTCHA": "hcaptcha"})


@pytest.mark.parametrize("value", ["lots", "5", "0x10"])
def test_a_bad_work_variable_is_refused_by_name(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^LETTERBOX_ALTCHA_MAX_NUMBER: must be a whole number from 10 to"):
        Settings.from_env({**ALTCHA_ONLY, "LETTERBOX_ALTCHA_MAX_NUMBER": value})


def test_the_deploy_asks_for_hcaptchas_keys_only_when_a_form_uses_it() -> None:
    sender = "letterbox@campaign.example"
    stage = StageSettings(sender=sender, organizers=(), origins=(), sitekey="", secret_parameter="")

    stage.check(FormChoices.from_env(ALTCHA_ONLY))
    with pytest.raises(StageConfigError, match="no hCaptcha sitekey"):
        stage.check(FormChoices.from_env({**ALTCHA_ONLY, "LETTERBOX_CAPTCHA": "hcaptcha"}))
