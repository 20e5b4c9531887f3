"""A loopback stand-in for hCaptcha's siteverify endpoint, following its documented contract.

POST form fields: secret, response, sitekey (optional), remoteip (optional).
Answer: {"success": bool, "challenge_ts": ISO time, "hostname": str, "error-codes": [...]}.
The published test secret accepts the published test token on any sitekey, as hCaptcha does;
other tokens are issued by `issue_token` and, as on hCaptcha, are accepted once.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

TEST_SECRET = "0x0000000000000000000000000000000000000000"  # noqa: S105 (public test key)
TEST_TOKEN = "10000000-aaaa-bbbb-cccc-000000000001"  # noqa: S105 (public test token)
TEST_HOSTNAME = "dummy-key-pass"
TOKEN_LIFETIME = timedelta(seconds=120)


@dataclass
class IssuedToken:
    hostname: str
    issued_at: datetime
    used: bool = False


@dataclass
class SiteverifyState:
    """What the server knows; tests issue tokens and read the requests it got."""

    secrets: set[str] = field(default_factory=lambda: {TEST_SECRET})
    tokens: dict[str, IssuedToken] = field(default_factory=dict)
    requests: list[dict[str, str]] = field(default_factory=list)
    failing_status: int | None = None
    # Answer with this status and the usual body: a proxy or a broken deploy in between.
    answer_status: int = 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue_token(self, hostname: str, age: timedelta = timedelta(0)) -> str:
        token = "P1_" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = IssuedToken(hostname, datetime.now(UTC) - age)
        return token

    def answer(self, fields: dict[str, str]) -> dict[str, object]:
        with self.lock:
            self.requests.append(fields)
            errors = self._errors(fields)
            if errors:
                return {"success": False, "error-codes": errors}
            token = fields["response"]
            now = datetime.now(UTC)
            if token == TEST_TOKEN:
                return {"success": True, "challenge_ts": _iso(now), "hostname": TEST_HOSTNAME, "credit": False}
            issued = self.tokens[token]
            issued.used = True
            return {
                "success": True,
                "challenge_ts": _iso(issued.issued_at),
                "hostname": issued.hostname,
                "credit": False,
            }

    def _errors(self, fields: dict[str, str]) -> list[str]:
        if not fields.get("secret"):
            return ["missing-input-secret"]
        if fields["secret"] not in self.secrets:
            return ["invalid-input-secret"]
        token = fields.get("response", "")
        if not token:
            return ["missing-input-response"]
        if token == TEST_TOKEN:
            return []
        issued = self.tokens.get(token)
        if issued is None:
            return ["invalid-input-response"]
        if issued.used:
            return ["already-seen-response"]
        if datetime.now(UTC) - issued.issued_at > TOKEN_LIFETIME:
            return ["expired-input-response"]
        return []


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


class _Handler(BaseHTTPRequestHandler):
    server: SiteverifyServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace")
        state = self.server.state
        if state.failing_status:
            self._send(state.failing_status, {"error": "unavailable"})
            return
        fields = {name: values[-1] for name, values in parse_qs(raw, keep_blank_values=True).items()}
        self._send(state.answer_status, state.answer(fields))

    def _send(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Silent: the requests carry tokens and secrets."""


class SiteverifyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _Handler)
        self.state = SiteverifyState()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/siteverify"

    def start(self) -> SiteverifyServer:
        self._thread = threading.Thread(target=self.serve_forever, name="siteverify", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
