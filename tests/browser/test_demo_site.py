"""The demo site (devstack/demo.py): its pages, its outbox, a screenshot of each page; and the script's limits."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from email.message import EmailMessage
from html import unescape
from pathlib import Path
from urllib.error import HTTPError

import pytest
from playwright.sync_api import BrowserContext, FloatRect, Page, expect

from chalicelib.core.forms import FormRegistry
from chalicelib.intake.embed_texts import embed_texts
from chalicelib.intake.texts import LANGUAGES
from devstack.demo import FILES_SCRIPT, PAGES, SCRIPT, WALL_SCRIPT, DemoServer
from devstack.stack import ROOT, LocalStack
from tests.browser.support import (
    ARTIFACTS,
    RENDER,
    demo_url,
    fill_action_report,
    form_page,
    open_form,
    submit,
    success_id,
    wait_for_email,
)

DOCS_SCREENSHOT = ROOT / "docs" / "render-mode.png"
API = "http://127.0.0.1:9"  # never called: these tests read pages only


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoServer]:
    server = DemoServer(API, tmp_path / "outbox").start()
    yield server
    server.stop()


def get(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read().decode()
    except HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def write_email(outbox: Path, submission_id: str, subject: str, text: str, html: str) -> Path:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = "letterbox@example.org"
    message["To"] = "organizers@example.org"
    message["X-Letterbox-Submission"] = submission_id
    message["X-Letterbox-Form"] = "action-report"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{submission_id}.eml"
    path.write_bytes(message.as_bytes())
    return path


README = (ROOT / "README.md").read_text(encoding="utf-8")
# The README's table of the embed's files: | `letterbox.js` | what needs it | under 8 KB |
SIZE_ROW = re.compile(r"^\s*\| `(letterbox[a-z-]*\.js)` \| [^|]+ \| under (\d+) KB \|$", re.MULTILINE)
# A script's own texts in the definition (its group's keys): letterbox.js is counted with all of them.
GROUPS = {SCRIPT: "", FILES_SCRIPT: "files_", WALL_SCRIPT: "wall_"}


def gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def heaviest_texts(prefix: str) -> bytes:
    """The largest texts (gzipped) a definition carries for one script, over every form and language."""
    found = [
        json.dumps(
            {key: text for key, text in embed_texts(form, lang).items() if key.startswith(prefix)}, ensure_ascii=False
        ).encode()
        for form in FormRegistry.load(validators=False)
        for lang in LANGUAGES
    ]
    return max(found, key=gzipped)


def test_the_readme_states_each_scripts_size_and_the_scripts_with_their_texts_keep_to_it() -> None:
    """What a slow phone downloads: letterbox.js with every text a definition carries, under 8 KB gzipped;
    letterbox-files.js, only for a file field, and letterbox-wall.js, only for a wall, with theirs."""
    stated = {ROOT / "embed" / name: int(kb) * 1024 for name, kb in SIZE_ROW.findall(README)}
    assert stated.keys() == GROUPS.keys()
    for script, prefix in GROUPS.items():
        size = gzipped(script.read_bytes()) + gzipped(heaviest_texts(prefix))
        assert size < stated[script], f"{script.name}: {size} bytes gzipped with its texts"


@pytest.mark.parametrize("script", list(GROUPS))
def test_the_scripts_are_plain_and_keep_no_texts_of_their_own(script: Path) -> None:
    """Classic scripts with no import, no console, and no table of texts: their words come from the API."""
    source = (script.parent / "src" / script.name).read_text(encoding="utf-8")
    for code in (source, script.read_text(encoding="utf-8")):
        assert "console." not in code
        assert not re.search(r"^\s*(import|export)\s", code, re.MULTILINE)
        assert "require(" not in code
    # The old tables: a language's texts by key ("ru: {", "en: {") or words in Cyrillic.
    assert not re.search(r"\b(en|ru): \{", source)
    assert not re.search(r"[а-яё]", source, re.IGNORECASE)


def test_each_page_gets_the_api_and_shows_its_own_snippet(demo: DemoServer) -> None:
    pages = sorted(path.name for path in PAGES.glob("*.html"))
    assert {"index.html", "action-report.html", "letter-copy.html", "ru.html"} <= set(pages)
    assert {"action-report-enhance.html", "letter-copy-enhance.html", "wall.html", "wall-ru.html"} <= set(pages)
    for name in pages:
        status, headers, page = get(f"{demo.url}/{name}")
        assert status == 200
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert "{{" not in page, name
        if "<!-- snippet -->" not in page:
            continue
        snippet = page.split("<!-- snippet -->\n")[1].split("<!-- /snippet -->")[0]
        shown = unescape(page.split('<code id="snippet">')[1].split("</code>")[0])
        assert shown == textwrap.dedent(snippet).strip()
        assert f'src="{demo.url}/letterbox.js"' in shown
        assert API in shown


def test_the_scripts_and_styles_are_served_with_their_types(demo: DemoServer) -> None:
    served = (("/letterbox.js", SCRIPT), ("/letterbox-files.js", FILES_SCRIPT), ("/letterbox-wall.js", WALL_SCRIPT))
    for path, script in served:
        status, headers, body = get(f"{demo.url}{path}")
        assert (status, headers["Content-Type"]) == (200, "text/javascript; charset=utf-8")
        assert body == script.read_text(encoding="utf-8")
    assert get(f"{demo.url}/demo.css")[1]["Content-Type"] == "text/css; charset=utf-8"
    for path in ("/nothing.html", "/../README.md", "/%2e%2e/README.md", "/outbox/../x.eml", "/devstack/demo.py"):
        assert get(f"{demo.url}{path}")[0] == 404, path


def test_the_outbox_lists_emails_newest_first_and_escapes_everything(demo: DemoServer) -> None:
    old = write_email(demo.outbox, "01OLD", "Older", "first", "<p>first</p>")
    os.utime(old, (time.time() - 60, time.time() - 60))
    hostile = "<script>alert(1)</script>"
    html = f'<p onclick="x()">{hostile}</p>'
    write_email(demo.outbox, "01NEW", f"Action report: {hostile}", f"City: {hostile}", html)

    status, headers, listing = get(f"{demo.url}/outbox/")
    assert status == 200
    assert "script-src" not in headers["Content-Security-Policy"]
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert listing.index("/outbox/01NEW.eml") < listing.index("/outbox/01OLD.eml")
    assert hostile not in listing
    assert "Action report: &lt;script&gt;" in listing

    status, _, message = get(f"{demo.url}/outbox/01NEW.eml")
    assert status == 200
    assert hostile not in message
    assert "<pre>City: &lt;script&gt;alert(1)&lt;/script&gt;\n</pre>" in message
    iframe = re.search(r'<iframe sandbox="" title="[^"]*" srcdoc="([^"]*)"></iframe>', message)
    assert iframe is not None
    assert unescape(iframe.group(1)).strip() == html
    assert "X-Letterbox-Submission" in message
    assert get(f"{demo.url}/outbox/01NONE.eml")[0] == 404


def test_an_empty_outbox_says_so(demo: DemoServer) -> None:
    status, _, listing = get(f"{demo.url}/outbox/")
    assert status == 200
    assert "No email yet" in listing


@pytest.mark.browser
def test_every_demo_page_works_and_is_screenshotted(
    demo_stack: LocalStack, context: BrowserContext, page: Page
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=demo_stack.demo_origins[0])

    for name in ("action-report", "letter-copy", "action-report-enhance", "letter-copy-enhance", "ru"):
        page.goto(demo_url(demo_stack, f"{name}.html"))
        expect(page.locator("form[data-lb] fieldset.lb-test").first).to_be_visible()
        snippet = page.locator("#snippet")
        expect(snippet).to_contain_text("letterbox.js")
        page.get_by_role("button", name=re.compile("^(Copy snippet|Скопировать код)$")).click()
        expect(page.locator("#snippet-status")).to_have_text(re.compile(r"^(Copied|Selected|Скопировано|Выделено)"))
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)

    page.goto(demo_url(demo_stack, ""))
    expect(page.get_by_role("heading", level=1)).to_have_text("letterbox demo")
    for link in ("Report an action", "Send a copy of your letter", "The outbox"):
        expect(page.get_by_role("main").get_by_role("link", name=link, exact=True)).to_be_visible()
    page.screenshot(path=ARTIFACTS / "index.png", full_page=True)

    # An email to look at: one report sent from the render-mode page.
    form = open_form(page, form_page(demo_stack, "action-report", RENDER))
    fill_action_report(form, RENDER, city="Chișinău")
    submit(form, "Send report")
    submission_id = success_id(form)
    page.screenshot(path=ARTIFACTS / "action-report-sent.png", full_page=True)
    wait_for_email(demo_stack, submission_id)

    page.goto(demo_url(demo_stack, "outbox/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Outbox")
    page.get_by_role("link", name=re.compile("Chișinău")).click()
    expect(page).to_have_url(demo_url(demo_stack, f"outbox/{submission_id}.eml"))
    expect(page.locator("pre")).to_contain_text("Chișinău")
    frame = page.frame_locator("iframe[sandbox]")
    expect(frame.get_by_text("Chișinău")).to_be_visible()
    # Tall enough for the whole page: a full-page capture leaves iframes blank in headless Chromium.
    page.set_viewport_size({"width": 1000, "height": page.evaluate("document.documentElement.scrollHeight")})
    page.screenshot(path=ARTIFACTS / "outbox-message.png")
    page.goto(demo_url(demo_stack, "outbox/"))
    page.screenshot(path=ARTIFACTS / "outbox.png", full_page=True)
    page.goto(demo_url(demo_stack, "thanks.html"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    page.screenshot(path=ARTIFACTS / "thanks.png", full_page=True)


@pytest.mark.browser
def test_the_readme_screenshot_of_render_mode(demo_stack: LocalStack, page: Page) -> None:
    """Writes test-artifacts/render-mode.png; with LETTERBOX_UPDATE_DOCS=1, also the README's docs/render-mode.png."""
    page.set_viewport_size({"width": 720, "height": 900})
    form = open_form(page, form_page(demo_stack, "action-report", RENDER))
    ARTIFACTS.mkdir(exist_ok=True)
    box = form.bounding_box()
    assert box is not None
    margin = 16  # a little of the page around the form
    clip: FloatRect = {
        "x": box["x"] - margin,
        "y": box["y"] - margin,
        "width": box["width"] + 2 * margin,
        "height": box["height"] + 2 * margin,
    }
    page.screenshot(path=ARTIFACTS / "render-mode.png", clip=clip, full_page=True)
    if os.environ.get("LETTERBOX_UPDATE_DOCS") == "1":
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(ARTIFACTS / "render-mode.png", DOCS_SCREENSHOT)
    assert DOCS_SCREENSHOT.exists(), "make it: LETTERBOX_UPDATE_DOCS=1 pytest tests/browser -k readme_screenshot"
