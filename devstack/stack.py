"""The whole system on one machine, offline: local AWS, captcha stand-in, API (and more).

Used by `make dev` (devstack/__main__.py) and by the tests that drive it over HTTP.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from moto.server import ThreadedMotoServer

from .infra import apply_template
from .siteverify import SiteverifyServer

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
}
log = logging.getLogger("devstack")


@dataclass(frozen=True)
class Ports:
    aws: int = 4566
    captcha: int = 4567
    api: int = 8000
    demo: int = 8080

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Ports:
        defaults = cls()
        return cls(
            aws=int(env.get("LETTERBOX_AWS_PORT", defaults.aws)),
            captcha=int(env.get("LETTERBOX_CAPTCHA_PORT", defaults.captcha)),
            api=int(env.get("LETTERBOX_API_PORT", defaults.api)),
            demo=int(env.get("LETTERBOX_DEMO_PORT", defaults.demo)),
        )


@dataclass
class LocalStack:
    ports: Ports
    host: str = "127.0.0.1"
    stage: str = "dev"
    outputs: dict[str, str] = field(default_factory=dict)
    _aws: ThreadedMotoServer | None = None
    _siteverify: SiteverifyServer | None = None
    _api: subprocess.Popen[bytes] | None = None

    @property
    def aws_url(self) -> str:
        return f"http://{self.host}:{self.ports.aws}"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.ports.api}"

    @property
    def demo_origins(self) -> list[str]:
        return [f"http://{self.host}:{self.ports.demo}", f"http://localhost:{self.ports.demo}"]

    def aws_env(self) -> dict[str, str]:
        """What any boto3 program needs to talk to the local AWS instead of the real one."""
        return {"AWS_ENDPOINT_URL": self.aws_url, **LOCAL_CREDENTIALS}

    def app_env(self) -> dict[str, str]:
        """The API's and worker's settings that depend on this stack's ports."""
        if self._siteverify is None:
            raise RuntimeError("start the stack first")
        return {
            **self.aws_env(),
            "LETTERBOX_BUCKET": self.outputs["BucketName"],
            "LETTERBOX_ORIGINS": " ".join(self.demo_origins),
            "HCAPTCHA_VERIFY_URL": self._siteverify.url,
        }

    def start(self, api_output: int | None = None) -> LocalStack:
        self._aws = ThreadedMotoServer(ip_address=self.host, port=self.ports.aws, verbose=False)
        self._aws.start()
        os.environ.update(self.aws_env())
        self.outputs = apply_template(TEMPLATE, {"Stage": self.stage})
        self._siteverify = SiteverifyServer(self.host, self.ports.captcha).start()
        self._api = self._start_api(api_output)
        return self

    def _start_api(self, output: int | None) -> subprocess.Popen[bytes]:
        chalice = Path(sys.executable).with_name("chalice")
        command = [
            str(chalice),
            "local",
            "--host",
            self.host,
            "--port",
            str(self.ports.api),
            "--stage",
            self.stage,
            "--no-autoreload",
        ]
        env = {**os.environ, **self.app_env(), "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        wait_until_up(f"{self.api_url}/health", process)
        return process

    def stop(self) -> None:
        if self._api is not None:
            self._api.terminate()
            try:
                self._api.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._api.kill()
        if self._siteverify is not None:
            self._siteverify.stop()
        if self._aws is not None:
            self._aws.stop()

    def __enter__(self) -> LocalStack:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
