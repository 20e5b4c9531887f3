"""letterbox.toml's per-stage keys: API Gateway's throttling of the whole stage (rate and burst).

Valid at the top level and in [stages.STAGE] only: API Gateway throttles a stage, not a form.
The deploy applies them (deploy/throttle.py); the functions never read them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from chalicelib.core.config_keys import Invalid, shown

# A campaign's form rarely sees 5 submissions a second; 50/s (100 at once) leaves a viral day room and caps a flood.
DEFAULT_THROTTLE_RATE = 50
DEFAULT_THROTTLE_BURST = 100
# AWS's account-level defaults per region: a stage cannot be given more than the account has.
MAX_THROTTLE_RATE = 10_000
MAX_THROTTLE_BURST = 5_000


def _positive_number(most: int, unit: str) -> Callable[[object], float | int]:
    def check(value: object) -> float | int:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise Invalid(f"must be a number of {unit}, not {shown(value)}")
        if not 0 < value <= most:
            raise Invalid(f"must be more than 0 and at most {most:,} {unit} (AWS's account default), not {value}")
        return value

    return check


def _whole_number(most: int, unit: str) -> Callable[[object], float | int]:
    positive = _positive_number(most, unit)

    def check(value: object) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, bool) and isinstance(value, float):
            raise Invalid(f"must be a whole number of {unit}, not {value}")
        return int(positive(value))

    return check


STAGE_KEYS: Mapping[str, Callable[[object], float | int]] = {
    "throttle_rate": _positive_number(MAX_THROTTLE_RATE, "requests per second"),
    "throttle_burst": _whole_number(MAX_THROTTLE_BURST, "requests"),
}
STAGE_DEFAULTS: Mapping[str, float | int] = {
    "throttle_rate": DEFAULT_THROTTLE_RATE,
    "throttle_burst": DEFAULT_THROTTLE_BURST,
}


def per_form_message(key: str, form_path: tuple[str, ...]) -> str:
    """Why a per-stage key is refused in a form's table, and where it goes."""
    stage_table = "[stages.STAGE]" if form_path[0] == "forms" else f"[stages.{form_path[1]}]"
    return (
        f"{key} is set per stage, not per form (API Gateway throttles a whole stage): "
        f"move it to the top level or to {stage_table}"
    )
