"""A site allowed for one form only (letterbox.toml's [forms.NAME] origins), in real Chromium.

The bucket's CORS rule must carry every origin any form allows: otherwise such a site gets an
upload grant from the API and then a CORS failure from S3. Here a second copy of the demo site
runs on an origin of its own, which only letter-copy allows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from devstack.demo import DemoServer
from devstack.stack import LocalStack
from tests.browser.support import RENDER, field, fill_letter_copy, open_form, s3, stack_with_config, submit, success_id
from tests.browser.test_files import expect_uploaded, payload, pdf
from tests.conftest import free_port

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def one_form_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, str]]:
    """The stack, and the origin of a site that letter-copy alone allows (a demo site of its own)."""
    root = tmp_path_factory.mktemp("form-origins")
    site_port = free_port()
    site = f"http://127.0.0.1:{site_port}"
    # A stage's own table: a stage's origins replace a form's ([forms.NAME]) in letterbox.toml.
    extra = f'[stages.dev.forms.letter-copy]\norigins = ["{site}"]\n'
    with stack_with_config(root, extra, "dev-form-origins") as stack:
        other = DemoServer(stack.api_url, stack.outbox, "127.0.0.1", site_port).start()
        try:
            yield stack, site
        finally:
            other.stop()


def test_a_site_one_form_allows_uploads_a_file_and_sends_it(one_form_site: tuple[LocalStack, str], page: Page) -> None:
    stack, site = one_form_site
    form = open_form(page, f"{site}/letter-copy.html")
    fill_letter_copy(form, RENDER)
    content = pdf(100 * 1024)

    field(form, "Files").set_input_files(payload("scan.pdf", content))
    expect_uploaded(form, "scan.pdf")  # S3's CORS rule let this origin's POST through
    submit(form, "Send copy")
    submission_id = success_id(form)

    stored = s3(stack).get_object(Bucket=stack.outputs["BucketName"], Key=f"attachments/{submission_id}/1")
    assert stored["Body"].read() == content


def test_the_same_site_is_refused_the_form_it_is_not_allowed(one_form_site: tuple[LocalStack, str], page: Page) -> None:
    _, site = one_form_site
    page.goto(f"{site}/action-report.html")

    expect(page.locator("[data-letterbox-form]")).to_contain_text("This site is not allowed to use this form")
