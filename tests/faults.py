"""A loopback HTTP proxy in front of the local AWS that can answer with faults.

Point one service at it (AWS_ENDPOINT_URL_SESV2=proxy.url) and the real client code
meets a real HTTP error, a dropped connection or a server that never answers, as it
would from AWS, while everything else reaches moto. A fault may be aimed at some
requests only (`when`: method, path and body), so one call fails and the others pass.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Match = Callable[[str, str, bytes], bool]


@dataclass
class Fault:
    status: int
    headers: dict[str, str]
    body: bytes
    when: Match | None = None
    kind: str = "answer"  # or "reset": drop the connection; or "hang": answer nothing for `seconds`
    seconds: float = 0.0

    def applies(self, method: str, path: str, body: bytes) -> bool:
        return self.when is None or self.when(method, path, body)


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

    def fail_next(self, times: int, status: int, body: bytes = b"", when: Match | None = None, **headers: str) -> None:
        with self.lock:
            self.faults.extend(Fault(status, headers, body, when) for _ in range(times))

    def reset_next(self, times: int, when: Match | None = None) -> None:
        """Close the connection with a TCP reset once the request is read, as a dropped link does."""
        with self.lock:
            self.faults.extend(Fault(0, {}, b"", when, "reset") for _ in range(times))

    def hang_next(self, times: int, seconds: float, when: Match | None = None) -> None:
        """Read the request, then answer nothing for `seconds`: past the client's read timeout."""
        with self.lock:
            self.faults.extend(Fault(0, {}, b"", when, "hang", seconds) for _ in range(times))

    def next_fault(self, method: str, path: str, body: bytes) -> Fault | None:
        with self.lock:
            for index, fault in enumerate(self.faults):
                if fault.applies(method, path, body):
                    return self.faults.pop(index)
            return None

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: FaultyProxy
    # HTTP/1.1 answers botocore's "Expect: 100-continue" at once; under 1.0 each PUT waits a second for it.
    protocol_version = "HTTP/1.1"

    def _relay(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fault = self.server.next_fault(self.command, self.path, body)
        if fault is not None:
            self._fail(fault)
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

    def _fail(self, fault: Fault) -> None:
        if fault.kind == "answer":
            self._answer(fault.status, fault.headers, fault.body)
            return
        if fault.kind == "hang":
            time.sleep(fault.seconds)
        else:
            # Linger 0: close() sends RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        self.close_connection = True

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
