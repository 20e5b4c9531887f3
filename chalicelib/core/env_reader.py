"""The environment, read: text, flags and numbers checked with the variable's name; the local stack's marker."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.core.config_keys import ConfigError

# Set by Lambda's runtime in every function: their presence means "deployed", whatever else is set.
LAMBDA_VARIABLES = ("AWS_LAMBDA_FUNCTION_NAME", "LAMBDA_TASK_ROOT")


@dataclass(frozen=True)
class EnvReader:
    env: Mapping[str, str]

    def text(self, name: str, default: str) -> str:
        return self.env.get(name, default).strip()

    def required(self, name: str) -> str:
        value = self.text(name, "")
        if not value:
            raise ConfigError(f"{name} is not set")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.text(name, "").lower()
        if not value:
            return default
        if value in ("1", "true", "on", "yes"):
            return True
        if value in ("0", "false", "off", "no"):
            return False
        raise ConfigError(f"{name} must be on or off, not {value!r}")

    def number(self, name: str, default: float) -> float:
        value = self.text(name, "")
        if not value:
            return default
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(f"{name} must be a number, not {value!r}") from None
        if number <= 0:
            raise ConfigError(f"{name} must be greater than zero")
        return number

    def whole_number(self, name: str, default: int) -> int:
        value = self.text(name, "")
        if not value:
            return default
        if not value.isdigit():
            raise ConfigError(f"{name} must be a whole number of zero or more, not {value!r}")
        return int(value)


def is_local(env: Mapping[str, str]) -> bool:
    """The local stack says so (LETTERBOX_LOCAL=1); inside Lambda nothing can make a function local."""
    marked = EnvReader(env).flag("LETTERBOX_LOCAL", False)
    if marked and any(env.get(name) for name in LAMBDA_VARIABLES):
        raise ConfigError("LETTERBOX_LOCAL is set inside Lambda: it is for the local stack only, remove it")
    return marked
