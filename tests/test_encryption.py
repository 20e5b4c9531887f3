"""An encrypted form, end to end over HTTP on the local stack: nothing typed reaches S3 or the email in the clear.

The form (testimony, no files) encrypts to a key made with Debian's age-keygen; `age -d` and the
console `letterbox --identity` open what letterbox stored and mailed.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.client import HTTPResponse
from pathlib import Path
from typing import Any
from urllib.error import HTTPError

import boto3
import pytest

from chalicelib.core.config_keys import ConfigError
from devstack.stack import ROOT, LocalStack, Ports, temporary_env
from tests.conftest import TEST_TOKEN, free_port

ORGANIZERS = "organizers@example.org"
TESTIMONY: dict[str, Any] = {
    "title": "Testimony",
    "type": "object",
    "additionalProperties": False,
    "required": ["country", "city", "text"],
    "properties": {
        "country": {"type": "string", "title": "Country", "maxLength": 100},
        "city": {"type": "string", "title": "City", "maxLength": 100},
        "text": {"type": "string", "title": "What happened", "maxLength": 5000},
        "name": {"type": "string", "title": "Your name", "maxLength": 200},
    },
    # Names a field that stays encrypted: the email must not use it.
    "x-letterbox": {"subject": {"en": "Testimony from {city}"}},
}
# An encrypted form that takes files: they are encrypted by the sender (tests/test_encrypted_files.py).
EVIDENCE: dict[str, Any] = {
    "title": "Evidence",
    "type": "object",
    "additionalProperties": False,
    "required": ["text"],
    "properties": {
        "text": {"type": "string", "title": "What it shows", "maxLength": 5000},
        "attachments": {
            "type": "array",
            "maxItems": 5,
            "uniqueItems": True,
            "items": {"type": "string", "pattern": "^[0-9A-HJKMNP-TV-Z]{26}$", "maxLength": 26},
            "title": "Files",
            "x-widget": "attachments",
            "x-attachments": {"types": ["application/pdf", "image/jpeg"], "max_bytes": 1048576},
        },
    },
}
# Every value is long and odd enough that finding it by chance in ciphertext or base64 is out of the question.
SUBMITTED = {
    "country": "Clearlandia",
    "city": "Кёнигсберг-Тайный",
    "text": 'They said "free them"\r\nи ушли в 23:40 <b>&amp;</b>',
    "name": "Anna Secretperson-Zweig",
}
# What letterbox keeps of it: line breaks as newlines (chalicelib/intake/bounds.py), as for a plain form.
ACCEPTED = {**SUBMITTED, "text": SUBMITTED["text"].replace("\r\n", "\n")}
SECRET_VALUES = [SUBMITTED["city"], SUBMITTED["text"], ACCEPTED["text"], SUBMITTED["name"]]


@dataclass
class Encrypted:
    stack: LocalStack
    right_key: Path
    wrong_key: Path
    env: dict[str, str]  # what the console and age need: the stack's state file, its forms
    log: Path  # the API's and the worker's console


def age_keygen(path: Path) -> str:
    """A new identity in `path`; its recipient (age-keygen prints it on standard error)."""
    result = subprocess.run(["age-keygen", "-o", str(path)], capture_output=True, text=True, check=True, timeout=30)
    return result.stderr.strip().rsplit(" ", 1)[-1]


def write_project(root: Path, recipient: str) -> dict[str, str]:
    schemas = root / "schemas"
    schemas.mkdir()
    (schemas / "testimony.json").write_text(json.dumps(TESTIMONY, ensure_ascii=False), encoding="utf-8")
    (schemas / "evidence.json").write_text(json.dumps(EVIDENCE, ensure_ascii=False), encoding="utf-8")
    config = root / "letterbox.toml"
    config.write_text(
        f'organizers = ["{ORGANIZERS}"]\n[forms.testimony]\nencrypt_to = ["{recipient}"]\nclear_fields = ["country"]\n'
        f'[forms.evidence]\nencrypt_to = ["{recipient}"]\n',
        encoding="utf-8",
    )
    return {"LETTERBOX_CONFIG": str(config), "LETTERBOX_SCHEMAS": str(schemas)}


@pytest.fixture(scope="module")
def encrypted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Encrypted]:
    root = tmp_path_factory.mktemp("encrypted")
    right_key, wrong_key = root / "right.key", root / "wrong.key"
    recipient = age_keygen(right_key)
    age_keygen(wrong_key)
    env = {**write_project(root, recipient), "LETTERBOX_DEV_STATE": str(root / "state.json"), "LETTERBOX_LOCAL": "1"}
    ports = Ports(aws=free_port(), captcha=free_port(), api=free_port(), demo=free_port())
    stack = LocalStack(ports, outbox=root / "outbox", resources="dev-encrypted")
    with temporary_env(env), (root / "stack.log").open("wb") as log, stack:
        stack.start(output=log.fileno())
        yield Encrypted(stack, right_key, wrong_key, env, root / "stack.log")


def request(url: str, body: dict[str, Any], headers: dict[str, str]) -> HTTPResponse:
    data = json.dumps(body).encode()
    try:
        return urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=10)
    except HTTPError as error:
        return error  # type: ignore[return-value]


def s3(stack: LocalStack) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=stack.aws_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        region_name="us-east-1",
    )


def submit(stack: LocalStack, idempotency_key: str) -> tuple[int, str]:
    headers = {"Content-Type": "application/json", "Origin": stack.demo_origins[0], "Idempotency-Key": idempotency_key}
    response = request(
        f"{stack.api_url}/forms/testimony/submissions", {**SUBMITTED, "h-captcha-response": TEST_TOKEN}, headers
    )
    return response.status, json.loads(response.read())["id"]


def everything_stored(stack: LocalStack) -> dict[str, bytes]:
    """Every object in the bucket, whatever its prefix, with its metadata: what a seized bucket shows."""
    client, bucket = s3(stack), stack.outputs["BucketName"]
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            head = client.head_object(Bucket=bucket, Key=item["Key"])
            body = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            found[item["Key"]] = body + json.dumps(head.get("Metadata", {})).encode() + item["Key"].encode()
    return found


def spellings(value: str) -> list[bytes]:
    """The value as typed, and as JSON would write it (escaped, ASCII-escaped), in UTF-8."""
    forms = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    forms |= {line for line in value.splitlines() if len(line) > 6}
    return [form.encode() for form in forms]


def assert_holds_nothing_typed(where: str, content: bytes) -> None:
    for value in SECRET_VALUES:
        for spelling in spellings(value):
            assert spelling not in content, f"{where} holds a typed value"


def age_decrypt(key: Path, ciphertext: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["age", "-d", "-i", str(key)], input=ciphertext, capture_output=True, timeout=30, check=False)


def wait_for_email(stack: LocalStack, submission_id: str) -> EmailMessage:
    eml = stack.outbox / f"{submission_id}.eml"
    deadline = time.monotonic() + 60
    while not eml.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert eml.exists(), f"no {eml.name} in the outbox within 60 s"
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def letterbox(encrypted: Encrypted, *args: str) -> subprocess.CompletedProcess[str]:
    """This checkout's console (not the installed one), as an organizer runs it."""
    env = {**os.environ, **encrypted.env}
    return subprocess.run(
        [sys.executable, "-m", "letterbox", "--local", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def stored(encrypted: Encrypted) -> str:
    """One submission, sent twice with one Idempotency-Key."""
    status, submission_id = submit(encrypted.stack, "testimony-retry-1")
    assert status == 201
    again, same_id = submit(encrypted.stack, "testimony-retry-1")
    assert again in (200, 201)
    assert same_id == submission_id
    return submission_id


def test_the_bucket_holds_nothing_typed_but_the_clear_fields(encrypted: Encrypted, stored: str) -> None:
    wait_for_email(encrypted.stack, stored)  # the notification's marker is written by then

    objects = everything_stored(encrypted.stack)

    submissions = [key for key in objects if key.startswith("submissions/testimony/")]
    assert submissions == [next(key for key in submissions if key.endswith(f"/{stored}.json"))]
    assert f"notified/{stored}" in objects
    for key, content in objects.items():
        assert_holds_nothing_typed(key, content)
    bucket = encrypted.stack.outputs["BucketName"]
    record = json.loads(s3(encrypted.stack).get_object(Bucket=bucket, Key=submissions[0])["Body"].read())
    assert sorted(record) == sorted(
        ["version", "id", "form", "schema_version", "received_at", "data", "attachments", "encrypted"]
    )
    assert (record["version"], record["id"], record["form"]) == (3, stored, "testimony")
    assert record["data"] == {"country": "Clearlandia"}
    assert record["attachments"] == []
    assert f"id={stored}" in encrypted.log.read_text()
    assert_holds_nothing_typed("the console", encrypted.log.read_bytes())


def test_the_right_key_opens_exactly_what_was_submitted_and_a_wrong_one_nothing(
    encrypted: Encrypted, stored: str
) -> None:
    objects = everything_stored(encrypted.stack)
    key = next(key for key in objects if key.endswith(f"/{stored}.json"))
    raw = s3(encrypted.stack).get_object(Bucket=encrypted.stack.outputs["BucketName"], Key=key)["Body"].read()
    ciphertext = base64.b64decode(json.loads(raw)["encrypted"])

    opened = age_decrypt(encrypted.right_key, ciphertext)
    refused = age_decrypt(encrypted.wrong_key, ciphertext)

    assert opened.returncode == 0, opened.stderr
    assert json.loads(opened.stdout) == ACCEPTED
    assert refused.returncode != 0
    assert refused.stdout == b""


def test_the_email_holds_only_the_clear_fields_and_the_age_file_that_opens(encrypted: Encrypted, stored: str) -> None:
    message = wait_for_email(encrypted.stack, stored)

    assert message["Subject"] == f"New encrypted submission: Testimony ({stored})"
    assert message["Reply-To"] is None
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    for part in (text, html):
        content = part.get_content()
        assert "Clearlandia" in content
        assert stored in content
        assert_holds_nothing_typed("the email", content.encode())
    assert_holds_nothing_typed("the raw email", (encrypted.stack.outbox / f"{stored}.eml").read_bytes())
    files = list(message.iter_attachments())
    assert [part.get_filename() for part in files] == [f"{stored}.age"]
    opened = age_decrypt(encrypted.right_key, files[0].get_content())
    assert opened.returncode == 0, opened.stderr
    assert json.loads(opened.stdout) == ACCEPTED


def test_export_with_the_identity_gives_the_plaintext_and_without_says_it_is_encrypted(
    encrypted: Encrypted, stored: str
) -> None:
    opened = letterbox(
        encrypted, "export", "--form", "testimony", "--format", "json", "--identity", str(encrypted.right_key)
    )
    sealed = letterbox(encrypted, "export", "--form", "testimony", "--format", "json")
    wrong = letterbox(
        encrypted, "export", "--form", "testimony", "--format", "json", "--identity", str(encrypted.wrong_key)
    )

    assert opened.returncode == 0, opened.stderr
    rows = json.loads(opened.stdout)
    assert [row["id"] for row in rows] == [stored]
    assert {name: rows[0][name] for name in SUBMITTED} == ACCEPTED
    assert sealed.returncode == 0, sealed.stderr
    assert "encrypted" in sealed.stderr
    (row,) = json.loads(sealed.stdout)
    assert row["country"] == "Clearlandia"
    assert_holds_nothing_typed("an export without the key", sealed.stdout.encode())
    assert wrong.returncode == 1
    assert f"cannot decrypt submission {stored}" in wrong.stderr


def test_show_and_stats_open_with_the_identity_and_say_encrypted_without(encrypted: Encrypted, stored: str) -> None:
    shown = letterbox(encrypted, "show", stored, "--identity", str(encrypted.right_key))
    sealed = letterbox(encrypted, "show", stored)
    stats = letterbox(encrypted, "--json", "stats", "--form", "testimony")

    assert shown.returncode == 0, shown.stderr
    assert SUBMITTED["name"] in shown.stdout
    assert sealed.returncode == 0, sealed.stderr
    assert "The content is encrypted" in sealed.stdout
    assert "Clearlandia" in sealed.stdout
    assert_holds_nothing_typed("show without the key", sealed.stdout.encode())
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["total"] == 1
    assert "encrypted" in stats.stderr


def test_list_shows_the_summary_with_the_identity_and_the_title_without(encrypted: Encrypted, stored: str) -> None:
    opened = letterbox(encrypted, "--json", "list", "--form", "testimony", "--identity", str(encrypted.right_key))
    sealed = letterbox(encrypted, "--json", "list", "--form", "testimony")

    assert opened.returncode == 0, opened.stderr
    assert [(row["id"], row["summary"]) for row in json.loads(opened.stdout)] == [
        (stored, f"Testimony from {SUBMITTED['city']}")
    ]
    assert sealed.returncode == 0, sealed.stderr
    # The subject names an encrypted field: without the key, the form's title stands in for it.
    assert [(row["id"], row["summary"]) for row in json.loads(sealed.stdout)] == [(stored, "Testimony")]
    assert "encrypted" in sealed.stderr
    assert_holds_nothing_typed("list without the key", sealed.stdout.encode())


def test_a_bad_recipient_stops_the_stack_naming_the_form_and_the_key(tmp_path: Path) -> None:
    env = write_project(tmp_path, "age1" + "x" * 58)
    ports = Ports(aws=free_port(), captcha=free_port(), api=free_port(), demo=free_port())
    stack = LocalStack(ports, outbox=tmp_path / "outbox", resources="dev-encrypted-bad")

    with temporary_env({**env, "LETTERBOX_LOCAL": "1"}), pytest.raises(ConfigError) as error, stack:
        stack.start()

    assert "line 3: forms.testimony.encrypt_to[0]: 'age1xxxxxxxx\u2026' is not an age recipient" in str(error.value)
    assert "x" * 20 not in str(error.value)
