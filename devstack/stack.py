"""The whole system on one machine, offline: local AWS, captcha stand-in, API (and more).

Used by `make dev` (devstack/__main__.py) and by the tests that drive it over HTTP.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

from chalicelib.core.form_choices import FormChoices
from chalicelib.core.signing_keys import PARAMETER_VARIABLE, new_signing_key, parameter_name
from letterbox import devstate

from .altcha_demo import altcha_config
from .demo import DemoServer
from .infra import apply_template
from .siteverify import SiteverifyServer

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"
CHALICE_CONFIG = ROOT / ".chalice" / "config.json"
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
}
log = logging.getLogger("devstack")


class CrowdSiteverifyServer(SiteverifyServer):
    """The captcha stand-in with the API's listen backlog: each submission asks it once, at the same moment.

    socketserver's default backlog of 5 resets connections under 50 clients, and the API answers 503.
    """

    request_queue_size = 128


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
    outbox: Path = ROOT / "outbox"
    _api: subprocess.Popen[bytes] | None = None
    _worker: subprocess.Popen[bytes] | None = None
    _demo: DemoServer | None = None
    _output: int | None = None
    # What each form allows, as the API will read it (letterbox.toml's stage, the environment's overrides).
    choices: FormChoices | None = None
    # Over the stage's variables, for the worker (e.g. LETTERBOX_SEND_RATE); the API applies the stage's
    # variables again on top, as chalice local does.
    overrides: dict[str, str] = field(default_factory=dict)
    # The infra template's Stage, which names the bucket and the queues (default: the Chalice stage).
    # moto keeps one state per process: stacks started in one process share resources of the same name.
    resources: str | None = None
    # Where `letterbox --local` finds this stack while it runs (letterbox/devstate.py).
    _state_file: Path | None = None
    _signing_parameter: str = ""
    # Forms put on ALTCHA for this stack only (`make dev`: letter-copy), through a copy of the config file.
    altcha_forms: tuple[str, ...] = ()
    _altcha_config: Path | None = None

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

    def local_env(self) -> dict[str, str]:
        """What makes the API and worker the local stack's: the local marker, its demo site, the config file."""
        env = {"LETTERBOX_LOCAL": "1", "LETTERBOX_LOCAL_ORIGINS": " ".join(self.demo_origins)}
        for variable in ("LETTERBOX_CONFIG", "LETTERBOX_SCHEMAS"):
            if named := os.environ.get(variable, "").strip():
                env[variable] = str(Path(named).resolve())  # the processes run in ROOT, not here
        if self.altcha_forms:
            env["LETTERBOX_CONFIG"] = str(self._altcha_config_file(env.get("LETTERBOX_CONFIG")))
        return env

    def _altcha_config_file(self, named: str | None) -> Path:
        if self._altcha_config is None:
            directory = Path(tempfile.mkdtemp(prefix="letterbox-dev-"))
            base = Path(named) if named else ROOT / "letterbox.toml"
            self._altcha_config = altcha_config(base, self.altcha_forms, self.stage, directory)
        return self._altcha_config

    def app_env(self) -> dict[str, str]:
        """The API's and worker's settings that depend on this stack (origins come from letterbox.toml)."""
        if self._siteverify is None:
            raise RuntimeError("start the stack first")
        return {
            **self.aws_env(),
            **self.local_env(),
            "LETTERBOX_BUCKET": self.outputs["BucketName"],
            "LETTERBOX_NOTIFY_QUEUE": self.outputs["NotifyQueueName"],
            "LETTERBOX_OUTBOX": str(self.outbox),
            "HCAPTCHA_VERIFY_URL": self._siteverify.url,
            PARAMETER_VARIABLE: self._signing_parameter,
            # Where the emails' review links lead: this stack's API (deployed, the deploy records it).
            "LETTERBOX_API_URL": self.api_url,
        }

    def start(self, output: int | None = None) -> LocalStack:
        """Start everything; the API's and worker's console lines go to `output` (default: ours)."""
        # A wrong letterbox.toml (or override) stops us here, before anything runs, with its line.
        self.choices = FormChoices.from_env({**os.environ, **stage_env(self.stage), **self.local_env()})
        self._aws = ThreadedMotoServer(ip_address=self.host, port=self.ports.aws, verbose=False)
        self._aws.start()
        sender = stage_env(self.stage).get("LETTERBOX_SENDER", "")
        # The production template: bucket, queues, notification and the SES sender identity.
        with temporary_env(self.aws_env()):
            uploads = ",".join(self.choices.all_origins)  # every origin any form allows may upload
            parameters = {"Stage": self.resources or self.stage, "SenderAddress": sender, "UploadOrigins": uploads}
            self.outputs = apply_template(TEMPLATE, parameters)
            self._signing_parameter = put_signing_key(self.resources or self.stage)
        self._siteverify = CrowdSiteverifyServer(self.host, self.ports.captcha).start()
        self._output = output
        self._api = self._start_api(output)
        self.start_worker()
        # The demo site: static pages embedding the forms, on an origin of their own (on the allow-list).
        self._demo = DemoServer(self.api_url, self.outbox, self.host, self.ports.demo).start()
        self._state_file = devstate.write_state(self.aws_url, self.outputs)
        return self

    def stop_api(self) -> None:
        """Kill the API, as a crash would: requests to it fail until start_api()."""
        if self._api is not None:
            self._api.kill()
            self._api.wait(timeout=10)
            self._api = None

    def start_api(self) -> None:
        """Start the API again, on the same port, with the same settings; returns once it answers."""
        if self._api is None:
            self._api = self._start_api(self._output)

    def _start_api(self, output: int | None) -> subprocess.Popen[bytes]:
        # `chalice local --no-autoreload`, with a listen backlog that takes a crowd (devstack/api_server.py).
        command = [sys.executable, "-m", "devstack.api_server", "--host", self.host, "--port", str(self.ports.api)]
        process = self._spawn([*command, "--stage", self.stage], output)
        wait_until_up(f"{self.api_url}/health", process)
        return process

    def stop_worker(self) -> None:
        """Kill the worker (SIGKILL), as a crash would, mid-batch or not: its messages wait out their visibility."""
        if self._worker is not None:
            self._worker.kill()
            self._worker.wait(timeout=10)
            self._worker = None

    def start_worker(self) -> None:
        """Start the worker again, with the same settings; it polls the queue from where it stands."""
        if self._worker is None:
            self._worker = self._spawn([sys.executable, "-m", "devstack.worker"], self._output)

    def _spawn(self, command: list[str], output: int | None) -> subprocess.Popen[bytes]:
        # The stage's variables as chalice local applies them, then this stack's ports, then the overrides.
        env = {**os.environ, **stage_env(self.stage), **self.app_env(), **self.overrides, "PYTHONUNBUFFERED": "1"}
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        devstate.remove_state(self._state_file, self.aws_url)
        if self._demo is not None:
            self._demo.stop()
        for process in (self._worker, self._api):
            if process is None:
                continue
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                # A worker finishing a paced batch can take longer; it must not outlive the stack.
                process.kill()
                process.wait(timeout=10)
        if self._siteverify is not None:
            self._siteverify.stop()
        if self._aws is not None:
            self._aws.stop()

    def __enter__(self) -> LocalStack:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def temporary_env(values: Mapping[str, str]) -> Iterator[None]:
    """Point this process's boto3 at the local AWS for a moment, then put things back."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def put_signing_key(stage: str) -> str:
    """A new signing key in the local SSM, as the deploy makes one in AWS; its parameter's name."""
    name = parameter_name(stage)
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name=name, Value=new_signing_key(), Type="SecureString", Overwrite=True)
    return name


def stage_env(stage: str) -> dict[str, str]:
    """The environment variables .chalice/config.json gives a stage."""
    config = json.loads(CHALICE_CONFIG.read_text())
    env = dict(config.get("environment_variables", {}))
    env.update(config.get("stages", {}).get(stage, {}).get("environment_variables", {}))
    return env


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
