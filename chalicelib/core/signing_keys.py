"""The stage's signing key, kept in SSM: one secret, from which each use derives its own key.

What the API signs and later checks (ALTCHA challenges, the wall's review links) is signed with
a key derived from it: HMAC-SHA256 of the purpose under the stage's key. A stage has one
parameter to create, grant and rotate, and a key leaked from one use opens no other.

The deploy creates the parameter (a SecureString, PARAMETER_NAME) once and never replaces it:
a new key voids every link and challenge given out. The local stack puts one in its local SSM.
Functions name it in LETTERBOX_SIGNING_KEY_PARAMETER and read it on first use, once per
process: a function that never signs never asks SSM, and an SSM that cannot be read fails the
request that needs the key (a 503), not the function's start.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.core.aws_errors import ParameterUnreadable, ssm_errors

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

PARAMETER_VARIABLE = "LETTERBOX_SIGNING_KEY_PARAMETER"
PARAMETER_NAME = "/letterbox/{stage}/signing-key"
KEY_BYTES = 32
# Each use of the key, by name: a new one is a new name here.
PURPOSES = frozenset({"altcha", "review"})


class SigningKeyUnavailable(Exception):
    """The key could not be had: SSM unreachable, the parameter missing or not as the deploy made it."""


def new_signing_key() -> str:
    """A fresh key as the parameter holds it: 32 random bytes, base64."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def parameter_name(stage: str) -> str:
    return PARAMETER_NAME.format(stage=stage)


class SigningKeys:
    def __init__(self, parameter: str, ssm: Callable[[], SSMClient]) -> None:
        self._parameter = parameter
        self._ssm = ssm
        self._stage_key: bytes | None = None
        self._lock = threading.Lock()

    def derive(self, purpose: str) -> bytes:
        """The key for one purpose; SigningKeyUnavailable when the stage's key cannot be read."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown signing purpose {purpose!r}")
        return hmac.new(self._read(), f"letterbox {purpose}".encode(), hashlib.sha256).digest()

    def _read(self) -> bytes:
        with self._lock:
            # Kept once read; a failed read is not kept, so the next request asks again.
            if self._stage_key is None:
                self._stage_key = self._fetch()
            return self._stage_key

    def _fetch(self) -> bytes:
        if not self._parameter:
            raise SigningKeyUnavailable(f"{PARAMETER_VARIABLE} is not set")
        try:
            with ssm_errors():
                parameter = self._ssm().get_parameter(Name=self._parameter, WithDecryption=True)["Parameter"]
        except ParameterUnreadable as error:
            raise SigningKeyUnavailable(f"cannot read {self._parameter}: {error}") from None
        if parameter.get("Type") != "SecureString":
            raise SigningKeyUnavailable(f"{self._parameter} must be a SecureString parameter")
        try:
            key = base64.b64decode(parameter.get("Value", ""), validate=True)
        except ValueError:
            raise SigningKeyUnavailable(f"{self._parameter} does not hold a base64 key") from None
        if len(key) < KEY_BYTES:
            raise SigningKeyUnavailable(f"{self._parameter} holds a key shorter than {KEY_BYTES} bytes")
        return key


def derived_key(purpose: str) -> bytes:
    """The running function's key for `purpose` (see SigningKeys.derive)."""
    from chalicelib import runtime  # the process's one SigningKeys, built on first use

    return runtime.signing_keys().derive(purpose)
