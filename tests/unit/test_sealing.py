"""Sealing to age keys (pyrage) and the encrypted record, version 3: what is clear, what is not, read back."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from chalicelib.core import sealing
from chalicelib.core.form_choices import FormOptions
from chalicelib.core.record import NotARecord, SubmissionRecord
from chalicelib.core.sealing import sealed_record as sealed

DATA = {"country": "Germany", "city": "Берлин", "text": 'said "no"\nтвёрдо'}


def record(data: Mapping[str, object] = DATA) -> SubmissionRecord:
    return SubmissionRecord(
        id="01KAX3Z8W6V1R2F7D9QH0M4N5P",
        form="testimony",
        schema_version="3f2a",
        received_at="2026-11-14T18:03:12.345Z",
        data=data,
    )


def identity_file(tmp_path: Path, name: str) -> tuple[Path, str]:
    secret, recipient = sealing.new_identity()
    path = tmp_path / name
    path.write_text(f"# created by a test\n# public key: {recipient}\n{secret}\n", encoding="utf-8")
    return path, recipient


def test_a_sealed_record_keeps_only_its_clear_fields_and_opens_to_the_whole(tmp_path: Path) -> None:
    key, recipient = identity_file(tmp_path, "key.txt")
    options = FormOptions(encrypt_to=(recipient,), clear_fields=("country",))

    stored = SubmissionRecord.from_json(sealed(record(), options).to_json())

    assert stored.version == 3
    assert stored.data == {"country": "Germany"}
    assert stored.encrypted is not None
    assert sealing.open_sealed(sealing.from_text(stored.encrypted), sealing.read_identities(key)) == DATA


def test_a_form_that_does_not_encrypt_stores_the_record_as_version_2() -> None:
    plain = record()

    assert sealed(plain, FormOptions()) is plain
    assert b'"version":2' in plain.to_json()
    assert b"encrypted" not in plain.to_json()


def test_every_recipient_opens_it_and_another_key_does_not(tmp_path: Path) -> None:
    (first, one), (second, two), (other, _) = (identity_file(tmp_path, name) for name in ("a", "b", "c"))
    ciphertext = sealing.seal(DATA, [one, two])

    for key in (first, second):
        assert sealing.open_sealed(ciphertext, sealing.read_identities(key)) == DATA
    with pytest.raises(sealing.CannotOpen):
        sealing.open_sealed(ciphertext, sealing.read_identities(other))


def test_an_encrypted_record_without_its_ciphertext_is_not_a_record() -> None:
    text = record().to_json().replace(b'"version":2', b'"version":3')

    with pytest.raises(NotARecord, match="'encrypted'"):
        SubmissionRecord.from_json(text)


def test_a_file_that_is_not_an_identity_is_named_and_never_quoted(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("my secret notes\n", encoding="utf-8")

    with pytest.raises(sealing.BadIdentity) as error:
        sealing.read_identities(path)

    assert str(path) in str(error.value)
    assert "secret notes" not in str(error.value)
