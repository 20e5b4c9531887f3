"""The demo site behind `make dev`: static pages embedding the forms, on an origin of their own.

Serves embed/letterbox.js, embed/letterbox-files.js (which it loads for a file field),
embed/letterbox-age.js (which that loads for an encrypted form), embed/letterbox-wall.js (which
letterbox.js loads for a wall), embed/altcha.js and altcha-ru.js (the ALTCHA widget, loaded for a
form on ALTCHA), the pages
in embed/demo/ (with `{{API}}`, `{{DEMO}}` and `{{SNIPPET}}` filled in), and /outbox/: every email
the local worker sent, newest first, each readable.
Everything shown from an email is escaped; its HTML part is shown in a sandboxed iframe.
Loopback only: it shows what supporters typed.
"""

from __future__ import annotations

import re
import textwrap
import threading
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "embed" / "letterbox.js"
FILES_SCRIPT = ROOT / "embed" / "letterbox-files.js"
AGE_SCRIPT = ROOT / "embed" / "letterbox-age.js"
WALL_SCRIPT = ROOT / "embed" / "letterbox-wall.js"
SCRIPTS = {
    "/letterbox.js": SCRIPT,
    "/letterbox-files.js": FILES_SCRIPT,
    "/letterbox-age.js": AGE_SCRIPT,
    "/letterbox-wall.js": WALL_SCRIPT,
}
# The ALTCHA widget, which letterbox.js loads for a form on ALTCHA (in make dev: letter-copy).
SCRIPTS.update({f"/{path.name}": path for path in (ROOT / "embed").glob("altcha*.js")})
PAGES = ROOT / "embed" / "demo"
PAGE_NAME = re.compile(r"/([a-z0-9-]+\.(?:html|css|js))")
EML_NAME = re.compile(r"/outbox/([A-Za-z0-9_-]{1,100}\.eml)")
SNIPPET = re.compile(r"<!-- snippet -->\n(.*?)<!-- /snippet -->", re.DOTALL)
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
}
SHOWN_HEADERS = ("Subject", "From", "To", "Reply-To", "Date", "X-Letterbox-Form", "X-Letterbox-Submission")
# The outbox pages show email content: no script at all, nothing fetched from elsewhere.
OUTBOX_POLICY = "default-src 'none'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"


class DemoServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, api_url: str, outbox: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _Handler)
        self.api_url = api_url.rstrip("/")
        self.outbox = outbox
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> DemoServer:
        self._thread = threading.Thread(target=self.serve_forever, name="demo", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def origin_for(self, host_header: str | None) -> str:
        """The demo's own origin as the browser sees it (127.0.0.1 or localhost), never any other."""
        port = self.server_address[1]
        if host_header in (f"127.0.0.1:{port}", f"localhost:{port}"):
            return f"http://{host_header}"
        return self.url

    def render_page(self, template: str, origin: str) -> str:
        """Fill in the endpoints; the snippet box shows the page's own snippet, exactly as it is on the page."""
        page = template.replace("{{API}}", self.api_url).replace("{{DEMO}}", origin)
        found = SNIPPET.search(page)
        snippet = textwrap.dedent(found.group(1)).strip() if found else ""
        return page.replace("{{SNIPPET}}", escape(snippet))


class _Handler(BaseHTTPRequestHandler):
    server: DemoServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path in SCRIPTS:
            self._send(200, SCRIPTS[path].read_bytes(), CONTENT_TYPES["js"])
        elif path == "/":
            self._page("index.html")
        elif path == "/favicon.ico":
            self._send(204, b"", "image/x-icon")
        elif path == "/outbox/":
            self._send(200, outbox_page(self.server.outbox).encode(), CONTENT_TYPES["html"], OUTBOX_POLICY)
        elif (eml := EML_NAME.fullmatch(path)) and (self.server.outbox / eml.group(1)).is_file():
            message = read_message(self.server.outbox / eml.group(1))
            self._send(200, message_page(eml.group(1), message).encode(), CONTENT_TYPES["html"], OUTBOX_POLICY)
        elif (name := PAGE_NAME.fullmatch(path)) and (PAGES / name.group(1)).is_file():
            self._page(name.group(1))
        else:
            self._send(404, b"Not found\n", "text/plain; charset=utf-8")

    def _page(self, name: str) -> None:
        content = (PAGES / name).read_text(encoding="utf-8")
        extension = name.rsplit(".", 1)[1]
        if extension == "html":
            content = self.server.render_page(content, self.server.origin_for(self.headers.get("Host")))
        self._send(200, content.encode(), CONTENT_TYPES[extension])

    def _send(self, status: int, body: bytes, content_type: str, csp: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if csp:
            # Not on the form pages: with no-referrer, a plain form post carries "Origin: null",
            # which the API's allow-list refuses.
            self.send_header("Content-Security-Policy", csp)
            self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Silent: `make dev` prints one line per submission, from the API."""


def read_message(path: Path) -> EmailMessage:
    with path.open("rb") as file:
        # policy.default builds an EmailMessage: decoded headers, get_content().
        return BytesParser(policy=policy.default).parse(file)


def outbox_page(directory: Path) -> str:
    files = sorted(directory.glob("*.eml"), key=lambda path: path.stat().st_mtime, reverse=True)
    rows = []
    for path in files:
        message = read_message(path)
        sent = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        subject = escape(str(message.get("Subject", "(no subject)")))
        rows.append(
            f"<tr><td>{escape(sent)}</td><td>{escape(str(message.get('X-Letterbox-Form', '')))}</td>"
            f'<td><a href="/outbox/{quote(path.name)}">{subject}</a></td></tr>'
        )
    if rows:
        listing = (
            '<table><thead><tr><th scope="col">Sent</th><th scope="col">Form</th><th scope="col">Subject</th>'
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )
    else:
        listing = "<p>No email yet. Send a form from one of the demo pages, then reload this page.</p>"
    intro = (
        f"<p>Every email the local worker sent to the organizers, newest first: {len(rows)} in "
        f"<code>{escape(str(directory))}</code>. Nothing here leaves this machine.</p>"
    )
    return _page("Outbox", f"{intro}{listing}")


def message_page(name: str, message: EmailMessage) -> str:
    headers = "".join(
        f'<tr><th scope="row">{escape(header)}</th><td>{escape(str(message.get(header, "")))}</td></tr>'
        for header in SHOWN_HEADERS
        if header in message
    )
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        content = part.get_content() if kind.startswith("text/") else ""
        if kind == "text/plain":
            parts.append(f"<h2>Text part</h2><pre>{escape(content)}</pre>")
        elif kind == "text/html":
            # An empty sandbox: no script, no forms, no same-origin access; the page's CSP loads nothing.
            parts.append(
                f'<h2>HTML part</h2><iframe sandbox="" title="The HTML part of the email" '
                f'srcdoc="{escape(content, quote=True)}"></iframe>'
            )
        else:
            parts.append(f"<h2>Other part</h2><p>{escape(kind)}, not shown.</p>")
    body = (
        f'<p><a href="/outbox/">← All emails</a></p><table class="headers">{headers}</table>{"".join(parts)}'
        f"<p>File: <code>{escape(name)}</code></p>"
    )
    return _page(str(message.get("Subject", name)), body)


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<title>{escape(title)} · letterbox demo</title><link rel="stylesheet" href="/demo.css"></head>'
        '<body><header><nav aria-label="Demo pages"><a href="/">letterbox demo</a> · '
        '<a href="/outbox/">Outbox</a></nav>'
        f"</header><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )
