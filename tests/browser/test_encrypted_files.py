"""A file sent with an encrypted form, in real Chromium: encrypted in the page (embed/letterbox-age.js) before upload.

The stack here encrypts letter-copy to a key made with Debian's age-keygen; Debian's age opens
what S3 keeps. Nothing the supporter chose (the file, its name) reaches S3 in the clear.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Request

from devstack.stack import LocalStack
from tests.browser.support import (
    RENDER,
    field,
    fill_letter_copy,
    form_page,
    open_form,
    s3,
    stack_with_config,
    submit,
    success_id,
)
from tests.browser.test_files import expect_uploaded, payload, pdf
from tests.test_encryption import age_decrypt, age_keygen

pytestmark = pytest.mark.browser

FILE_NAME = "приговор-Secretname.pdf"


@pytest.fixture(scope="module")
def sealed_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, Path]]:
    """The demo stack with letter-copy encrypted to a fresh key; the stack and the key's file."""
    root = tmp_path_factory.mktemp("sealed-browser")
    key = root / "key.txt"
    recipient = age_keygen(key)
    with stack_with_config(root, f'[forms.letter-copy]\nencrypt_to = ["{recipient}"]\n', "dev-sealed-browser") as stack:
        yield stack, key


def test_a_file_is_encrypted_in_the_page_and_only_the_organizers_key_opens_it(
    sealed_stack: tuple[LocalStack, Path], page: Page
) -> None:
    stack, key = sealed_stack
    uploads: list[Request] = []
    page.on("request", lambda request: uploads.append(request) if request.method == "POST" else None)
    form = open_form(page, form_page(stack, "letter-copy", RENDER))
    fill_letter_copy(form, RENDER)
    content = pdf(200 * 1024)

    field(form, "Files").set_input_files(payload(FILE_NAME, content))
    expect_uploaded(form, FILE_NAME)
    submit(form, "Send copy")
    submission_id = success_id(form)

    grant = next(request for request in uploads if request.url.endswith("/uploads"))
    assert FILE_NAME not in (grant.post_data or "")
    client, bucket = s3(stack), stack.outputs["BucketName"]
    stored_keys = [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    for stored_key in stored_keys:
        stored = client.get_object(Bucket=bucket, Key=stored_key)["Body"].read()
        assert content[9:-7] not in stored, stored_key
        assert FILE_NAME.encode() not in stored, stored_key
    stored_file = client.get_object(Bucket=bucket, Key=f"attachments/{submission_id}/1")["Body"].read()
    assert stored_file.startswith(b"age-encryption.org/v1\n")
    opened = age_decrypt(key, stored_file)
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout == content
    (record_key,) = [k for k in stored_keys if k.endswith(f"/{submission_id}.json")]
    record = json.loads(client.get_object(Bucket=bucket, Key=record_key)["Body"].read())
    sealed = json.loads(age_decrypt(key, base64.b64decode(record["encrypted"])).stdout)
    assert sealed["_files"] == [
        {"file": f"{submission_id}-1.age", "name": FILE_NAME, "type": "application/pdf", "size": len(content)}
    ]
