"""A loopback HTTP proxy in front of the local AWS that can answer with faults.

Point one service at it (AWS_ENDPOINT_URL_SESV2=proxy.url) and the real client code
meets a real HTTP error, as it would from AWS, while everything else reaches moto.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Fault:
    status: int
    headers: dict[str, str]
    body: bytes


class FaultyProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, target: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.target = target.rstrip("/")
        self.faults: list[Fault] = []
        self.forwarded = 0
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def fail_next(self, times: int, status: int, body: bytes = b"", **headers: str) -> None:
        with self.lock:
            self.faults.extend(Fault(status, headers, body) for _ in range(times))

    def next_fault(self) -> Fault | None:
        with self.lock:
            return self.faults.pop(0) if self.faults else None

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: FaultyProxy

    def _relay(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fault = self.server.next_fault()
        if fault is not None:
            self._answer(fault.status, fault.headers, fault.body)
            return
        request = urllib.request.Request(
            self.server.target + self.path,
            data=body or None,
            method=self.command,
            headers={k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                self._answer(answer.status, dict(answer.headers.items()), answer.read())
        except urllib.error.HTTPError as error:
            self._answer(error.code, dict(error.headers.items()), error.read())
        with self.server.lock:
            self.server.forwarded += 1

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _relay  # noqa: N815 (names http.server calls)

    def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet."""
