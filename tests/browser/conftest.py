"""Real Chromium (Debian's, driven by Playwright) against the local stack, the page on another origin.

One local stack for the whole session: moto, the siteverify stand-in, `chalice local`, the notify
worker writing to a temporary outbox, and the demo site. A fresh browser context for every test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from devstack.stack import LocalStack, Ports
from tests.conftest import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Bounded waits everywhere: Playwright's expect, and every locator action.
WAIT_MS = 15_000
expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="session")
def demo_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    directory = tmp_path_factory.mktemp("browser-stack")
    ports = Ports(aws=free_port(), captcha=free_port(), api=free_port(), demo=free_port())
    with (directory / "stack.log").open("wb") as log, LocalStack(ports, outbox=directory / "outbox") as stack:
        stack.start(output=log.fileno())
        yield stack


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        # make test installs it (scripts/system-packages): a missing browser is a failure, never a skip.
        pytest.fail(f"{CHROMIUM} is missing: run scripts/system-packages")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="en-US", viewport={"width": 1000, "height": 900})
    context.set_default_timeout(WAIT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page that fails the test on any script error."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert errors == [], f"script errors on the page: {errors}"


@pytest.fixture
def console(page: Page) -> list[str]:
    """Every line the page logs to the console, from now on."""
    lines: list[str] = []
    page.on("console", lambda message: lines.append(message.text))
    return lines
