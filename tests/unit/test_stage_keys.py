"""letterbox.toml's per-stage keys, throttle_rate and throttle_burst: where they go, their bounds, their defaults."""

from __future__ import annotations

import textwrap

import pytest

from chalicelib.core.config_file import ConfigFile, parse
from chalicelib.core.config_keys import ConfigError
from deploy.throttle import Throttle

FORMS = {"action-report", "letter-copy"}


def checked(text: str) -> ConfigFile:
    return parse(textwrap.dedent(text), "letterbox.toml", FORMS)


def refusal(text: str) -> str:
    with pytest.raises(ConfigError) as error:
        checked(text)
    return str(error.value)


def test_the_defaults_bound_a_stage_that_sets_nothing() -> None:
    assert Throttle.of(checked(""), "prod") == Throttle(50.0, 100)


def test_a_stage_table_wins_over_the_top_level() -> None:
    config = checked(
        """\
        throttle_rate = 20
        throttle_burst = 40
        [stages.prod]
        throttle_rate = 2.5
        """
    )
    assert Throttle.of(config, "prod") == Throttle(2.5, 40)
    assert Throttle.of(config, "staging") == Throttle(20.0, 40)
    # Not a form's option: the functions never see them.
    assert "throttle_rate" not in config.lookup("prod", "letter-copy")


@pytest.mark.parametrize(
    ("table", "where"),
    [("[forms.letter-copy]", "[stages.STAGE]"), ("[stages.prod.forms.letter-copy]", "[stages.prod]")],
)
def test_a_form_table_refuses_them_and_says_where_they_belong(table: str, where: str) -> None:
    message = refusal(f'organizers = ["anna@campaign.example"]\n{table}\nthrottle_burst = 10\n')
    assert message.startswith("letterbox.toml line 3: ")
    assert "throttle_burst is set per stage, not per form (API Gateway throttles a whole stage)" in message
    assert message.endswith(f"move it to the top level or to {where}")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("throttle_rate = 0", "throttle_rate: must be more than 0 and at most 10,000 requests per second"),
        ("throttle_rate = -5", "throttle_rate: must be more than 0"),
        ("throttle_rate = 10001", "at most 10,000 requests per second (AWS's account default), not 10001"),
        ("throttle_rate = inf", "at most 10,000"),
        ("throttle_rate = nan", "must be a number of requests per second, not nan"),
        ('throttle_rate = "50"', "throttle_rate: must be a number of requests per second, not '50'"),
        ("throttle_rate = true", "must be a number of requests per second, not true"),
        ("throttle_burst = 5001", "throttle_burst: must be more than 0 and at most 5,000 requests"),
        ("throttle_burst = 0", "throttle_burst: must be more than 0"),
        ("throttle_burst = 2.5", "throttle_burst: must be a whole number of requests, not 2.5"),
    ],
)
def test_out_of_bounds_values_are_refused_with_line_and_key(line: str, expected: str) -> None:
    message = refusal(f"[stages.prod]\n{line}\n")
    assert message.startswith("letterbox.toml line 2: stages.prod.")
    assert expected in message


def test_the_bounds_themselves_are_allowed() -> None:
    assert Throttle.of(checked("throttle_rate = 10000\nthrottle_burst = 5000\n"), "prod") == Throttle(10000.0, 5000)
    assert Throttle.of(checked("throttle_rate = 0.5\nthrottle_burst = 1.0\n"), "prod") == Throttle(0.5, 1)


def test_a_misspelt_key_is_pointed_to_the_right_one() -> None:
    assert "did you mean 'throttle_rate'?" in refusal("throttle_rat = 5\n")
