"""What the browser tests share: filling the forms as a person does, and reading what arrived."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import boto3
from playwright.sync_api import Locator, Page, expect

from devstack.stack import ROOT, LocalStack, Ports, temporary_env
from tests.conftest import free_port

ARTIFACTS = ROOT / "test-artifacts"  # screenshots: gitignored, kept by CI as a record
RENDER = "render"
ENHANCE = "enhance"
SUBMISSION_ID = re.compile(r"(?:Reference|Номер): ([0-9A-HJKMNP-TV-Z]{26})")


def demo_url(stack: LocalStack, path: str) -> str:
    return f"{stack.demo_origins[0]}/{path}"


def form_page(stack: LocalStack, form: str, mode: str) -> str:
    return demo_url(stack, f"{form}-enhance.html" if mode == ENHANCE else f"{form}.html")


def open_form(page: Page, url: str, heading: str | None = None) -> Locator:
    """Open a demo page; the form, once letterbox.js has taken it over (its test captcha is shown)."""
    page.goto(url)
    form = page.locator("form[data-lb]")
    if heading is not None:
        form = form.filter(has=page.get_by_role("heading", name=heading))
    expect(form.locator("fieldset.lb-test")).to_be_visible()
    return form


def field(scope: Page | Locator, label: str) -> Locator:
    """The control a person finds by its label; the visible "(required)" mark is not part of it."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}(\s*\(.+\))?$"))


def captcha_box(scope: Page | Locator) -> Locator:
    return scope.get_by_role("checkbox", name=re.compile(r"^(I am human|Я человек)"))


# The fields shown as a choice of options, in both languages.
CHOICES = {"Type of action", "Type of addressee", "How it was sent", "Вид акции", "Тип адресата", "Как отправлено"}


def fill(form: Locator, values: dict[str, str | bool]) -> None:
    """Type, choose and tick as a person does (without running any script of the page's own)."""
    for label, value in values.items():
        control = field(form, label)
        if isinstance(value, bool):
            control.set_checked(value)
        elif label in CHOICES:
            control.select_option(value)
        else:
            control.fill(value)


def expect_kept(form: Locator, values: dict[str, str | bool]) -> None:
    """Everything typed, chosen and ticked is still there."""
    for label, value in values.items():
        control = field(form, label)
        if isinstance(value, bool):
            expect(control).to_be_checked(checked=value)
        else:
            expect(control).to_have_value(value)


def fill_action_report(form: Locator, mode: str, city: str = "Tbilisi") -> dict[str, str | bool]:
    values: dict[str, str | bool] = {
        "Type of action": "picket",
        "Date of the action": "2026-11-14",
        "City": city,
        "Country": "Georgia",
        "What happened": "Twenty people in front of the embassy, with banners.",
        "Number of participants": "20",
        "Your name or group": "Friends of the two",
        "Email": "anna@example.net",
        "The organizers may publish this report": True,
    }
    fill(form, values)
    if mode == RENDER:
        links: dict[str, str | bool] = {"Links 1": "https://example.org/photos", "Links 2": "https://example.org/video"}
        form.get_by_role("button", name="Add a link").click()
    else:
        links = {"Links 1": "https://example.org/photos", "Links 3": "https://example.org/video"}
    fill(form, links)
    return {**values, **links}


def fill_letter_copy(form: Locator, mode: str, addressee: str = "Prosecutor General") -> dict[str, str | bool]:
    values: dict[str, str | bool] = {
        "Type of addressee": "prosecutor",
        "Addressee": addressee,
        "How it was sent": "fax",
        "Date sent": "2026-11-02",
        "Language of the letter": "English",
        "Subject": "Release them",
        "Text of the letter": "Dear Sir,\nWe ask you to drop the charges.",
        "Sender": "A reader",
        "Email": "reader@example.net",
    }
    fill(form, values)
    return values


def submit(form: Locator, button: str) -> None:
    captcha_box(form).check()
    form.get_by_role("button", name=button).click()


def success_id(form: Locator) -> str:
    """The submission id the success message shows, once it shows."""
    status = form.get_by_role("status")
    expect(status).to_contain_text(SUBMISSION_ID)
    found = SUBMISSION_ID.search(status.inner_text())
    assert found is not None
    return found.group(1)


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def wait_for_email(stack: LocalStack, submission_id: str, timeout: float = 30.0) -> EmailMessage:
    """The email the worker sent for this submission, as it arrived in the outbox."""
    path = stack.outbox / f"{submission_id}.eml"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size:
            return read_email(path)
        time.sleep(0.2)
    raise AssertionError(f"no email for {submission_id} in {stack.outbox} within {timeout:.0f} s")


def read_email(path: Path) -> EmailMessage:
    with path.open("rb") as file:
        return BytesParser(policy=policy.default).parse(file)


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def s3(stack: LocalStack) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=stack.aws_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        region_name="us-east-1",
    )


def stored(stack: LocalStack, form: str) -> list[str]:
    """The keys of the submissions stored for a form."""
    pages = (
        s3(stack)
        .get_paginator("list_objects_v2")
        .paginate(Bucket=stack.outputs["BucketName"], Prefix=f"submissions/{form}/")
    )
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def error_next_to(control: Locator) -> str:
    """The error shown next to a control: invalid, described by it, right before it. Its text."""
    expect(control).to_have_attribute("aria-invalid", "true")
    return str(
        control.evaluate(
            """control => {
                const ids = (control.getAttribute('aria-describedby') || '').split(/\\s+/);
                const error = ids.map((id) => document.getElementById(id)).find((e) => e && e.matches('.lb-err'));
                if (!error) return 'no error linked by aria-describedby';
                const next = error.nextElementSibling;
                if (!(next === control || (next && next.contains(control)))) return 'error not next to its field';
                return error.textContent;
            }"""
        )
    )


AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"  # npm's axe-core, pinned in package.json


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """What axe-core finds wrong on the page as it is now (every rule it runs by default): id, impact, where."""
    if not AXE_SCRIPT.exists():
        raise AssertionError(f"{AXE_SCRIPT} is missing: run npm ci")
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(content=AXE_SCRIPT.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await window.axe.run(document)).violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')),
        }))"""
    )
    return found


@contextmanager
def stack_with_config(root: Path, extra_toml: str, resources: str) -> Iterator[LocalStack]:
    """A local stack of its own, running the shipped letterbox.toml with `extra_toml` appended."""
    config = root / "letterbox.toml"
    config.write_text((ROOT / "letterbox.toml").read_text(encoding="utf-8") + "\n" + extra_toml, encoding="utf-8")
    ports = Ports(aws=free_port(), captcha=free_port(), api=free_port(), demo=free_port())
    stack = LocalStack(ports, outbox=root / "outbox", resources=resources)
    with temporary_env({"LETTERBOX_CONFIG": str(config)}), (root / "stack.log").open("wb") as log, stack:
        stack.start(output=log.fileno())
        yield stack
