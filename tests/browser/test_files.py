"""The file field (embed/letterbox-files.js) in real Chromium: each file goes straight to the local S3 with real
progress, the form sends the upload ids, and the organizers' email carries the files.

Files are made in the test (bytes) or in the page (drag and drop); nothing is read from disk.
"""

from __future__ import annotations

import re
import secrets
from email.message import EmailMessage
from typing import Any

import pytest
from playwright.sync_api import FilePayload, Locator, Page, Request, Route, expect

from chalicelib.intake.texts import message
from devstack.stack import LocalStack
from tests.browser.support import (
    RENDER,
    captcha_box,
    demo_url,
    field,
    fill_action_report,
    fill_letter_copy,
    form_page,
    open_form,
    s3,
    screenshot,
    submit,
    success_id,
    wait_for_email,
)

pytestmark = pytest.mark.browser

MB = 1024 * 1024


def pdf(size: int = 64 * 1024) -> bytes:
    """A PDF-looking file of `size` bytes, different each time."""
    head, tail = b"%PDF-1.4\n", b"\n%%EOF\n"
    return head + secrets.token_bytes(size - len(head) - len(tail)) + tail


def payload(name: str, content: bytes, mime_type: str = "application/pdf") -> FilePayload:
    return {"name": name, "mimeType": mime_type, "buffer": content}


def file_row(form: Locator, name: str) -> Locator:
    return form.get_by_role("listitem").filter(has_text=name)


def expect_uploaded(form: Locator, name: str) -> Locator:
    """The file's row once S3 has the file: its progress bar full, its status "Uploaded."."""
    bar = form.get_by_role("progressbar", name=name, exact=True)
    expect(bar).to_have_js_property("value", 100)
    assert bar.evaluate("bar => bar.value === bar.max")
    row = file_row(form, name)
    expect(row).to_contain_text("Uploaded.")
    return row


def announced(form: Locator) -> Locator:
    """The file field's own live region: what a screen reader says about each file."""
    return form.locator(".lb-sr[aria-live=polite]")


def attachments_of(email: EmailMessage) -> dict[str, bytes]:
    """The email's attachments: file name → bytes."""
    files = {}
    for part in email.iter_attachments():
        name = part.get_filename()
        assert name is not None
        content = part.get_payload(decode=True)
        assert isinstance(content, bytes)
        files[name] = content
    return files


def uploads(page: Page, stack: LocalStack) -> list[str]:
    """The upload requests the page makes from now on: for a grant from the API, or to S3. Their URLs."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if "/uploads" in r.url or r.url.startswith(stack.aws_url) else None)
    return seen


def body(request: Request) -> dict[str, Any]:
    """A JSON request's body."""
    data = request.post_data_json
    assert isinstance(data, dict)
    return data


def submissions(page: Page) -> list[Request]:
    seen: list[Request] = []
    page.on("request", lambda r: seen.append(r) if r.method == "POST" and r.url.endswith("/submissions") else None)
    return seen


def test_a_file_is_uploaded_with_real_progress_sent_and_attached_to_the_email(
    demo_stack: LocalStack, page: Page, console: list[str]
) -> None:
    # Progress as S3 receives the file, value by value.
    page.add_init_script(
        """window.__progress = [];
        new MutationObserver((changes) => changes.forEach((c) => window.__progress.push(c.target.value)))
          .observe(document, { subtree: true, attributes: true, attributeFilter: ['value'] });"""
    )
    form = open_form(page, form_page(demo_stack, "letter-copy", RENDER))
    sent = submissions(page)
    name = "скан письма.pdf"
    content = pdf(600 * 1024)
    files = field(form, "Files")
    expect(files).to_have_attribute("type", "file")
    expect(files).to_have_attribute("multiple", "")
    accept = "application/pdf,image/jpeg,image/png,image/webp,image/heic,.pdf,.jpg,.jpeg,.png,.webp,.heic"
    expect(files).to_have_attribute("accept", accept)
    expect(files).to_have_accessible_description(re.compile(r"^Scans or photos of the letter or fax.*Drag and drop"))

    files.set_input_files(payload(name, content))

    row = expect_uploaded(form, name)
    expect(row).to_contain_text(f"{name} (600 KB)")
    expect(announced(form)).to_contain_text(f"{name}: Uploaded.")
    # Real progress events came first (held below 100 until S3 answers), then 100.
    progress = page.evaluate("window.__progress")
    assert progress[-1] == 100, progress
    assert progress[:-1], progress
    assert all(0 < value < 100 for value in progress[:-1]), progress
    assert progress == sorted(progress), progress
    screenshot(page, "letter-copy-file-uploaded")
    fill_letter_copy(form, RENDER, addressee="Тверской районный суд")
    submit(form, "Send copy")

    submission_id = success_id(form)
    (request,) = sent
    upload_ids = body(request)["attachments"]
    assert len(upload_ids) == 1
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", upload_ids[0])
    email = wait_for_email(demo_stack, submission_id)
    assert attachments_of(email) == {name: content}
    # Ready for the next one: no file left, and nothing about the file on the console.
    expect(form.get_by_role("progressbar")).to_have_count(0)
    assert console == []


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_wrong_type_or_too_large_a_file_is_refused_in_the_browser_before_any_upload(
    demo_stack: LocalStack, page: Page, lang: str
) -> None:
    if lang == "ru":
        form = open_form(page, demo_url(demo_stack, "ru.html"), heading="Прислать копию письма")
        label, send, remove = "Файлы", "Отправить копию", "Удалить"
    else:
        form = open_form(page, form_page(demo_stack, "letter-copy", RENDER))
        label, send, remove = "Files", "Send copy", "Remove"
    uploaded = uploads(page, demo_stack)
    sent = submissions(page)

    field(form, label).set_input_files(
        [payload("page.html", b"<p>not a scan</p>", "text/html"), payload("big.pdf", pdf(10 * MB + 1))]
    )

    # The same words the API would use, in the page's language.
    expect(file_row(form, "page.html")).to_contain_text(message("attachment_type", lang))
    expect(file_row(form, "big.pdf")).to_contain_text(message("attachment_too_large", lang, limit=10))
    expect(announced(form)).to_contain_text(f"page.html: {message('attachment_type', lang)}")
    expect(form.get_by_role("progressbar", name="page.html")).to_be_hidden()
    screenshot(page, f"files-refused-{lang}")
    # A refused file holds the form up until it is removed: nothing is sent without it unnoticed.
    captcha_box(form).check()
    form.get_by_role("button", name=send).click()
    stuck = {
        "en": "Some files are not uploaded: remove them or retry.",
        "ru": "Не все файлы загружены: удалите их или повторите загрузку.",
    }
    expect(form.get_by_role("status")).to_have_text(stuck[lang])
    expect(form.get_by_role("button", name=f"{remove}: page.html")).to_be_focused()
    assert uploaded == []
    assert sent == []

    form.get_by_role("button", name=f"{remove}: page.html").click()
    expect(field(form, label)).to_be_focused()
    form.get_by_role("button", name=f"{remove}: big.pdf").click()
    expect(form.get_by_role("listitem").filter(has_text="big.pdf")).to_have_count(0)
    assert uploaded == []


def test_a_sixth_file_is_refused(demo_stack: LocalStack, page: Page) -> None:
    form = open_form(page, form_page(demo_stack, "letter-copy", RENDER))
    names = [f"page {n}.pdf" for n in range(1, 7)]

    field(form, "Files").set_input_files([payload(name, pdf(2048)) for name in names])

    for name in names[:5]:
        expect_uploaded(form, name)
    expect(form.get_by_role("listitem").filter(has_text="page 6.pdf")).to_contain_text("At most 5 files can be sent.")


def test_a_file_removed_before_sending_is_not_sent(demo_stack: LocalStack, page: Page) -> None:
    form = open_form(page, form_page(demo_stack, "letter-copy", RENDER))
    sent = submissions(page)
    field(form, "Files").set_input_files(payload("draft.pdf", pdf()))
    expect_uploaded(form, "draft.pdf")

    form.get_by_role("button", name="Remove: draft.pdf").click()

    expect(form.get_by_role("progressbar")).to_have_count(0)
    expect(field(form, "Files")).to_be_focused()
    fill_letter_copy(form, RENDER, addressee="Supreme Court")
    submit(form, "Send copy")
    submission_id = success_id(form)
    assert "attachments" not in body(sent[0])
    email = wait_for_email(demo_stack, submission_id)
    assert attachments_of(email) == {}
    assert "Supreme Court" in str(email["Subject"])


def test_a_file_dropped_on_the_field_is_uploaded_and_sent(demo_stack: LocalStack, page: Page) -> None:
    form = open_form(page, form_page(demo_stack, "action-report", RENDER))
    zone = form.locator(".lb-drop")
    expect(zone).to_contain_text("Drag and drop files here, or choose them:")

    # A real drop event, with a file made in the page, as a file dragged from the desktop.
    accepted = zone.evaluate(
        """zone => {
            const data = new DataTransfer();
            const bytes = new Uint8Array(3000).map((_, i) => i % 251);
            data.items.add(new File([bytes], 'фото акции.png', { type: 'image/png' }));
            const event = (type) => new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true });
            const over = !zone.dispatchEvent(event('dragover'));  // cancelled: a drop is welcome here
            const highlighted = zone.matches('.lb-over');
            zone.dispatchEvent(event('drop'));
            return { over, highlighted, after: zone.matches('.lb-over') };
        }"""
    )

    assert accepted == {"over": True, "highlighted": True, "after": False}
    expect_uploaded(form, "фото акции.png")
    fill_action_report(form, RENDER, city="Vilnius")
    submit(form, "Send report")
    email = wait_for_email(demo_stack, success_id(form))
    assert attachments_of(email) == {"фото акции.png": bytes(i % 251 for i in range(3000))}


def test_a_failed_upload_says_so_on_its_row_and_retry_uploads_it(demo_stack: LocalStack, page: Page) -> None:
    form = open_form(page, form_page(demo_stack, "letter-copy", RENDER))
    failed: list[str] = []

    def s3_fails(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        failed.append(route.request.url)
        route.fulfill(status=500, body="<Error><Code>InternalError</Code></Error>", content_type="application/xml")

    page.route(f"{demo_stack.aws_url}/**", s3_fails)
    field(form, "Files").set_input_files(payload("fax.pdf", pdf()))

    row = file_row(form, "fax.pdf")
    expect(row).to_contain_text("The upload failed. Check your connection and retry.")
    retry = form.get_by_role("button", name="Retry: fax.pdf")
    expect(retry).to_be_visible()
    expect(announced(form)).to_contain_text("fax.pdf: The upload failed.")
    assert len(failed) == 1
    screenshot(page, "files-upload-failed")
    fill_letter_copy(form, RENDER, addressee="Mosgorsud")
    # Not sent while a file is not uploaded: focus goes to the file's Retry.
    submit(form, "Send copy")
    expect(form.get_by_role("status")).to_have_text("Some files are not uploaded: remove them or retry.")
    expect(retry).to_be_focused()

    page.unroute(f"{demo_stack.aws_url}/**")
    retry.click()

    expect_uploaded(form, "fax.pdf")
    expect(retry).to_be_hidden()
    submit(form, "Send copy")
    email = wait_for_email(demo_stack, success_id(form))
    assert list(attachments_of(email)) == ["fax.pdf"]


def test_send_waits_for_an_upload_under_way(demo_stack: LocalStack, page: Page) -> None:
    form = open_form(page, form_page(demo_stack, "letter-copy", RENDER))
    held: list[Route] = []

    def hold_uploads(route: Route) -> None:
        """S3 keeps the file waiting, as on a slow line, until the test lets it through."""
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route(f"{demo_stack.aws_url}/**", hold_uploads)
    sent = submissions(page)
    content = pdf()
    fill_letter_copy(form, RENDER, addressee="Prosecutor of Moscow")
    field(form, "Files").set_input_files(payload("slow.pdf", content))
    expect(file_row(form, "slow.pdf")).to_contain_text("Uploading...")

    submit(form, "Send copy")

    expect(form.get_by_role("status")).to_have_text("Wait for the files to finish uploading...")
    expect(form.get_by_role("button", name="Send copy")).to_be_disabled()
    page.wait_for_timeout(300)
    assert sent == []
    (route,) = held
    route.continue_()
    submission_id = success_id(form)
    assert len(sent) == 1
    assert len(body(sent[0])["attachments"]) == 1
    assert attachments_of(wait_for_email(demo_stack, submission_id)) == {"slow.pdf": content}


def test_a_file_the_api_cannot_find_at_submit_is_marked_on_its_own_row(demo_stack: LocalStack, page: Page) -> None:
    """Errors on /attachments/{n} go to the row of the n-th file sent: here the second one's upload expired."""
    form = open_form(page, form_page(demo_stack, "letter-copy", RENDER))
    sent = submissions(page)
    field(form, "Files").set_input_files([payload("first.pdf", pdf()), payload("second.pdf", pdf())])
    expect_uploaded(form, "first.pdf")
    expect_uploaded(form, "second.pdf")
    second_id = file_row(form, "second.pdf").locator("input[type=hidden]").input_value()
    s3(demo_stack).delete_object(Bucket=demo_stack.outputs["BucketName"], Key=f"uploads/letter-copy/{second_id}")
    fill_letter_copy(form, RENDER, addressee="Lefortovo Court")

    submit(form, "Send copy")

    expect(form.get_by_role("status")).to_contain_text("Some fields need your attention.")
    expect(file_row(form, "second.pdf")).to_contain_text("This file was not found. Please upload it again.")
    expect(file_row(form, "first.pdf")).to_contain_text("Uploaded.")
    retry = form.get_by_role("button", name="Retry: second.pdf")
    expect(retry).to_be_focused()
    assert body(sent[0])["attachments"][1] == second_id
    # Its bar empties: a full one would say the file is there.
    expect(form.get_by_role("progressbar", name="second.pdf", exact=True)).to_have_js_property("value", 0)

    retry.click()
    expect_uploaded(form, "second.pdf")
    submit(form, "Send copy")
    email = wait_for_email(demo_stack, success_id(form))
    assert sorted(attachments_of(email)) == ["first.pdf", "second.pdf"]
