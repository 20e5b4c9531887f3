"""What the benchmark's parts share: the events Lambda would pass, a valid submission, statistics."""

from __future__ import annotations

import json
import math
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"
RESULTS = Path(__file__).resolve().parent / "results"
SENDER = "letterbox@example.org"
ORGANIZERS = "organizers@example.org"
ORIGIN = "https://campaign.example"
TEST_SITEKEY = "10000000-ffff-ffff-ffff-000000000001"
TEST_SECRET = "0x0000000000000000000000000000000000000000"  # noqa: S105 (hCaptcha's public test secret)
TEST_TOKEN = "10000000-aaaa-bbbb-cccc-000000000001"  # noqa: S105 (hCaptcha's public test token)
FORM = "action-report"
# The same form, encrypted to an organizer's age key (sealed_form_env).
SEALED_FORM = "action-report-sealed"
SUBMIT_RESOURCE = "/forms/{form}/submissions"
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_SESSION_TOKEN": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
}
# A realistic report: every field of the form, Cyrillic included.
REPORT: dict[str, Any] = {
    "kind": "embassy",
    "date": "2026-11-14",
    "city": "Санкт-Петербург",
    "country": "Россия",
    "description": "We handed a letter to the consul and held a picket of twenty people for an hour.",
    "participants": 20,
    "links": ["https://example.org/photo", "https://example.org/article"],
    "reporter": "Группа поддержки",
    "email": "anna@example.net",
    "h-captcha-response": TEST_TOKEN,
}
# Fails the schema in three places (a 422), after passing everything before it.
INVALID_REPORT: dict[str, Any] = {
    "kind": "parade",
    "date": "14.11.2026",
    "country": "Россия",
    "description": "x",
    "h-captcha-response": TEST_TOKEN,
}


def now() -> float:
    """CLOCK_MONOTONIC: one clock for every process on this machine, so a parent can time a child."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


@dataclass(frozen=True)
class LambdaContext:
    """The attributes of Lambda's context object that Chalice and the app read."""

    function_name: str = "letterbox-bench"
    memory_limit_in_mb: int = 128
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:letterbox-bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def api_event(
    resource: str,
    path_parameters: Mapping[str, str] | None,
    body: str,
    headers: Mapping[str, str] | None = None,
    method: str = "POST",
) -> dict[str, Any]:
    """An API Gateway REST proxy event, as Lambda hands it to the function."""
    path = resource
    for name, value in (path_parameters or {}).items():
        path = path.replace("{" + name + "}", value)
    all_headers = {"Content-Type": "application/json", "Origin": ORIGIN, **(headers or {})}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/api{path}",
            "stage": "api",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "192.0.2.1"},
        },
        "body": body,
        "isBase64Encoded": False,
    }


def submit_event(data: Mapping[str, Any], headers: Mapping[str, str] | None = None, form: str = FORM) -> dict[str, Any]:
    return api_event(SUBMIT_RESOURCE, {"form": form}, json.dumps(data), headers)


def sealed_form_env(directory: Path) -> dict[str, str]:
    """The forms of schemas/ plus SEALED_FORM (the action report again), encrypted to a fresh age key.

    The variables point the functions at that copy: the same report, submitted to both, shows
    what encryption costs.
    """
    import pyrage

    schemas = directory / "schemas"
    schemas.mkdir(parents=True, exist_ok=True)
    for schema in (ROOT / "schemas").glob("*.json"):
        (schemas / schema.name).write_bytes(schema.read_bytes())
    (schemas / f"{SEALED_FORM}.json").write_bytes((ROOT / "schemas" / f"{FORM}.json").read_bytes())
    recipient = pyrage.x25519.Identity.generate().to_public()
    config = directory / "letterbox.toml"
    shipped = (ROOT / "letterbox.toml").read_text(encoding="utf-8")
    config.write_text(f'{shipped}\n[forms.{SEALED_FORM}]\nencrypt_to = ["{recipient}"]\n', encoding="utf-8")
    return {"LETTERBOX_SCHEMAS": str(schemas), "LETTERBOX_CONFIG": str(config)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (p95 of 200 values is the 190th smallest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(round(fraction * len(ordered), 9))))
    return float(ordered[rank - 1])


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        nproc = str(os.cpu_count())
    memory_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    except OSError:
        memory_kb = 0
    return {
        "nproc": nproc,
        "cpu_model": model or "unknown",
        "memory_gb": round(memory_kb / 2**20, 1),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "loadavg_at_start": list(os.getloadavg()),
    }


def run_part(
    module: str, args: Sequence[str], env: Mapping[str, str], timeout: float, *, show_progress: bool = False
) -> Any:
    """`python -m MODULE ARGS` in a process of its own (its settings and imports stay out of ours): what its
    last `BENCH {json}` line says. With show_progress its standard error reaches the terminal as it comes."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=None if show_progress else subprocess.PIPE,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{module} failed ({done.returncode}): {(done.stderr or '')[-3000:]}")
    return json.loads(lines[-1].removeprefix("BENCH "))
