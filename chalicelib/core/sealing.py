"""Sealing a submission to the organizers' age keys, and opening it again (pyrage: the Rust age).

pyrage is imported inside each function: a form that does not encrypt never loads it, so it
costs nothing at cold start. Ciphertext is age's binary format; records carry it as base64.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.core.sealed_files import SEALED_FILES_KEY

if TYPE_CHECKING:
    from chalicelib.core.form_choices import FormOptions
    from chalicelib.core.record import StoredAttachment, SubmissionRecord


class CannotOpen(Exception):
    """The ciphertext does not open with the identities given (wrong key, or not age)."""


class BadIdentity(Exception):
    """A file that is not an age identity file; the message names the file, never its content."""


def is_recipient(text: str) -> bool:
    """Whether age takes `text` as an X25519 recipient."""
    from pyrage import RecipientError, x25519

    try:
        x25519.Recipient.from_str(text)
    except RecipientError:
        return False
    return True


def plaintext(data: Mapping[str, Any]) -> bytes:
    """What is sealed: the submitted data as compact UTF-8 JSON, what `age -d` gives back."""
    return json.dumps(dict(data), ensure_ascii=False, separators=(",", ":")).encode()


def seal(data: Mapping[str, Any], recipients: Sequence[str]) -> bytes:
    """The data's JSON, encrypted to every recipient (binary age format)."""
    import pyrage
    from pyrage import x25519

    keys = [x25519.Recipient.from_str(recipient) for recipient in recipients]
    sealed: bytes = pyrage.encrypt(plaintext(data), keys)
    return sealed


def sealed_record(
    record: SubmissionRecord, options: FormOptions, files: Sequence[Mapping[str, Any]] = ()
) -> SubmissionRecord:
    """The record a form stores: as it is, or for a form that encrypts, its clear fields and the ciphertext.

    An encrypted form's `files` (their names and types) are sealed with the data, under "_files".
    """
    if not options.encrypts:
        return record
    clear = {name: value for name, value in record.data.items() if name in options.clear_fields}
    sealed = {**record.data, SEALED_FILES_KEY: list(files)} if files else record.data
    return replace(record, data=clear, encrypted=to_text(seal(sealed, options.encrypt_to)))


def to_text(ciphertext: bytes) -> str:
    return base64.b64encode(ciphertext).decode("ascii")


def from_text(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise CannotOpen("the encrypted content is not base64") from None


def open_sealed(ciphertext: bytes, identities: Sequence[Any]) -> dict[str, Any]:
    """The data sealed in `ciphertext`; CannotOpen when no identity opens it."""
    import pyrage

    try:
        opened: bytes = pyrage.decrypt(ciphertext, list(identities))
        data = json.loads(opened)
    except (pyrage.DecryptError, ValueError):
        raise CannotOpen("none of the identities given opens it") from None
    if not isinstance(data, dict):
        raise CannotOpen("it does not hold a submission")
    return data


def open_file(ciphertext: bytes, identities: Sequence[Any]) -> bytes:
    """A file of an encrypted form, as the supporter chose it; CannotOpen when no identity opens it."""
    import pyrage

    try:
        opened: bytes = pyrage.decrypt(ciphertext, list(identities))
    except pyrage.DecryptError:
        raise CannotOpen("none of the identities given opens it") from None
    return opened


def opened_attachments(record: SubmissionRecord, data: dict[str, Any]) -> tuple[StoredAttachment, ...]:
    """The files as the supporter sent them (names, types, sizes), from the sealed list; popped from `data`."""
    from chalicelib.core.record import StoredAttachment

    described = data.pop(SEALED_FILES_KEY, None)
    if not isinstance(described, list) or len(described) != len(record.attachments):
        return record.attachments
    return tuple(
        StoredAttachment(
            stub.key,
            str(item.get("name") or stub.name),
            str(item.get("type") or ""),
            int(item.get("size") or 0),
            sealed=True,
        )
        if isinstance(item, dict)
        else stub
        for stub, item in zip(record.attachments, described, strict=True)
    )


def read_identities(path: Path) -> list[Any]:
    """Every AGE-SECRET-KEY-1 line of an identity file (as age-keygen writes it; # lines are comments)."""
    from pyrage import IdentityError, x25519

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        raise BadIdentity(f"{path}: cannot be read as an age identity file") from None
    keys = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    try:
        identities = [x25519.Identity.from_str(key) for key in keys]
    except IdentityError:
        raise BadIdentity(f"{path}: not an age identity file (a line is not an AGE-SECRET-KEY-1\u2026 key)") from None
    if not identities:
        raise BadIdentity(f"{path}: holds no age identity")
    return identities


def new_identity() -> tuple[str, str]:
    """A fresh X25519 identity: (the secret key, its public recipient)."""
    from pyrage import x25519

    identity = x25519.Identity.generate()
    return str(identity), str(identity.to_public())
