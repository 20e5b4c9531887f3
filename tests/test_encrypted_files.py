"""Files of an encrypted form, over HTTP on the local stack: encrypted by the sender, never in S3 in the clear.

The browser encrypts with embed/letterbox-age.js (tests/browser/test_encrypted_files.py); here the
sender is Debian's `age`, another implementation, which the API must take as well. What is checked
is what a seized bucket or mailbox would show, and that the organizers' key opens every file.
"""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_TOKEN
from tests.test_attachments import post_multipart
from tests.test_encryption import (
    Encrypted,
    age_decrypt,
    everything_stored,
    letterbox,
    request,
    s3,
    wait_for_email,
)
from tests.test_encryption import encrypted as encrypted  # the module's stack fixture, re-exported

FILE_NAME = "скан-приговора-Secretname.pdf"
SECRET_TEXT = "Witnessed by Boris Undisclosedovich"


def pdf() -> bytes:
    """A PDF-looking file whose random middle can be searched for, byte for byte."""
    return b"%PDF-1.4\n" + secrets.token_bytes(3000) + b"\n%%EOF\n"


def recipient_of(key: Path) -> str:
    line = next(line for line in key.read_text().splitlines() if line.startswith("# public key: "))
    return line.removeprefix("# public key: ")


def age_encrypt(recipient: str, content: bytes) -> bytes:
    sealed = subprocess.run(["age", "-r", recipient], input=content, capture_output=True, timeout=30, check=True)
    return sealed.stdout


def headers(encrypted: Encrypted, **more: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Origin": encrypted.stack.demo_origins[0], **more}


def grant(encrypted: Encrypted, wanted: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = request(f"{encrypted.stack.api_url}/forms/evidence/uploads", wanted, headers(encrypted))
    return response.status, json.loads(response.read())


def upload(encrypted: Encrypted, content: bytes, size: int) -> str:
    """A grant for a PDF of `size` bytes, then `content` uploaded through it as the browser does."""
    status, given = grant(encrypted, {"type": "application/pdf", "size": size})
    assert status == 201, given
    assert post_multipart(given["url"], given["fields"], "upload", content, given["fields"]["Content-Type"]) < 300
    return str(given["upload_id"])


def stored_record(encrypted: Encrypted, submission_id: str) -> dict[str, Any]:
    client, bucket = s3(encrypted.stack), encrypted.stack.outputs["BucketName"]
    (key,) = [
        item["Key"]
        for item in client.list_objects_v2(Bucket=bucket, Prefix="submissions/evidence/")["Contents"]
        if item["Key"].endswith(f"/{submission_id}.json")
    ]
    return dict(json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read()))


def submit(encrypted: Encrypted, upload_id: str, described: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"text": SECRET_TEXT, "attachments": [upload_id], "h-captcha-response": TEST_TOKEN}
    if described is not None:
        body["_files"] = {upload_id: described}
    key = secrets.token_hex(8)
    url = f"{encrypted.stack.api_url}/forms/evidence/submissions"
    response = request(url, body, headers(encrypted, **{"Idempotency-Key": key}))
    return response.status, json.loads(response.read())


@pytest.fixture(scope="module")
def sent(encrypted: Encrypted) -> tuple[str, bytes]:
    """One submission with one file, encrypted by the sender: its id and the file's plain bytes."""
    content = pdf()
    upload_id = upload(encrypted, age_encrypt(recipient_of(encrypted.right_key), content), len(content))
    status, answer = submit(encrypted, upload_id, {"name": FILE_NAME, "type": "application/pdf", "size": len(content)})
    assert status == 201, answer
    return answer["id"], content


def test_the_grant_names_no_file_and_takes_only_ciphertext(encrypted: Encrypted) -> None:
    status, given = grant(encrypted, {"name": FILE_NAME, "type": "application/pdf", "size": 1000})

    assert status == 201
    assert given["fields"]["Content-Type"] == "application/octet-stream"
    assert not any("filename" in field.lower() for field in given["fields"])
    assert FILE_NAME not in json.dumps(given, ensure_ascii=False)


def test_neither_the_file_nor_its_name_is_anywhere_in_the_bucket(encrypted: Encrypted, sent: tuple[str, bytes]) -> None:
    submission_id, content = sent
    wait_for_email(encrypted.stack, submission_id)

    objects = everything_stored(encrypted.stack)

    secrets_sent = [content[9:-7], FILE_NAME.encode(), SECRET_TEXT.encode(), json.dumps(FILE_NAME)[1:-1].encode()]
    for key, stored in objects.items():
        for value in secrets_sent:
            assert value not in stored, f"{key} holds what was sent"
    assert not [key for key in objects if key.startswith("uploads/")]
    record = stored_record(encrypted, submission_id)
    assert record["attachments"] == [
        {
            "key": f"attachments/{submission_id}/1",
            "name": f"{submission_id}-1.age",
            "type": "application/octet-stream",
            "size": record["attachments"][0]["size"],
        }
    ]


def test_the_key_opens_the_submission_with_the_files_names_and_each_file(
    encrypted: Encrypted, sent: tuple[str, bytes]
) -> None:
    submission_id, content = sent
    client, bucket = s3(encrypted.stack), encrypted.stack.outputs["BucketName"]
    record = stored_record(encrypted, submission_id)
    stored_file = client.get_object(Bucket=bucket, Key=f"attachments/{submission_id}/1")["Body"].read()

    opened = age_decrypt(encrypted.right_key, base64.b64decode(record["encrypted"]))
    opened_file = age_decrypt(encrypted.right_key, stored_file)

    assert opened.returncode == 0, opened.stderr
    data = json.loads(opened.stdout)
    assert data["text"] == SECRET_TEXT
    assert data["_files"] == [
        {"file": f"{submission_id}-1.age", "name": FILE_NAME, "type": "application/pdf", "size": len(content)}
    ]
    assert opened_file.returncode == 0, opened_file.stderr
    assert opened_file.stdout == content
    assert age_decrypt(encrypted.wrong_key, stored_file).returncode != 0


def test_the_email_attaches_the_sealed_submission_and_the_sealed_file(
    encrypted: Encrypted, sent: tuple[str, bytes]
) -> None:
    submission_id, content = sent

    message = wait_for_email(encrypted.stack, submission_id)

    files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert list(files) == [f"{submission_id}.age", f"{submission_id}-1.age"]
    assert age_decrypt(encrypted.right_key, files[f"{submission_id}-1.age"]).stdout == content
    raw = (encrypted.stack.outbox / f"{submission_id}.eml").read_bytes()
    for value in (FILE_NAME.encode(), SECRET_TEXT.encode()):
        assert value not in raw
    text = message.get_body(("plain",))
    assert text is not None
    assert f"letterbox files {submission_id} --identity key.txt" in text.get_content()


def test_the_command_saves_the_file_under_its_name_with_the_key_and_as_age_without(
    encrypted: Encrypted, sent: tuple[str, bytes], tmp_path: Path
) -> None:
    submission_id, content = sent

    opened = letterbox(
        encrypted, "files", submission_id, "--out", str(tmp_path / "open"), "--identity", str(encrypted.right_key)
    )
    sealed = letterbox(encrypted, "files", submission_id, "--out", str(tmp_path / "sealed"))
    again = letterbox(
        encrypted, "files", submission_id, "--out", str(tmp_path / "open"), "--identity", str(encrypted.right_key)
    )

    assert opened.returncode == 0, opened.stderr
    assert (tmp_path / "open" / FILE_NAME).read_bytes() == content
    assert sealed.returncode == 0, sealed.stderr
    assert "encrypted" in sealed.stderr
    assert [path.name for path in (tmp_path / "sealed").iterdir()] == [f"{submission_id}-1.age"]
    assert again.returncode == 0, again.stderr
    assert "0 downloaded, 1 already there" in again.stderr


def test_export_with_files_decrypts_them(encrypted: Encrypted, sent: tuple[str, bytes], tmp_path: Path) -> None:
    submission_id, content = sent

    exported = letterbox(
        encrypted,
        "export",
        "--form",
        "evidence",
        "--format",
        "json",
        "--files",
        str(tmp_path),
        "--identity",
        str(encrypted.right_key),
    )

    assert exported.returncode == 0, exported.stderr
    (row,) = json.loads(exported.stdout)
    assert row["text"] == SECRET_TEXT
    assert (tmp_path / submission_id / FILE_NAME).read_bytes() == content


@pytest.mark.parametrize(
    ("described", "sealed", "message"),
    [
        ("plain", False, "not encrypted"),
        ("missing", True, "type of file is not accepted"),
        ("wrong type", True, "type of file is not accepted"),
        ("wrong size", True, "not encrypted"),
        ("too large", True, "larger than 1 MB"),
    ],
)
def test_a_file_not_sealed_as_said_is_refused_and_nothing_is_stored(
    encrypted: Encrypted, described: str, sealed: bool, message: str
) -> None:
    content = pdf()
    upload_id = upload(
        encrypted, age_encrypt(recipient_of(encrypted.right_key), content) if sealed else content, len(content)
    )
    said: dict[str, Any] | None = {"name": "a.pdf", "type": "application/pdf", "size": len(content)}
    if described == "missing":
        said = None
    elif described == "wrong type":
        said = {**(said or {}), "type": "text/html"}
    elif described == "wrong size":
        said = {**(said or {}), "size": len(content) // 2}
    elif described == "too large":
        said = {**(said or {}), "size": 2 * 1048576}
    before = {key for key in everything_stored(encrypted.stack) if not key.startswith("uploads/")}

    status, answer = submit(encrypted, upload_id, said)

    assert status == 422, answer
    assert answer["errors"][0]["field"] == "/attachments/0"
    assert message in answer["errors"][0]["message"]
    after = {key for key in everything_stored(encrypted.stack) if not key.startswith("uploads/")}
    assert after == before
