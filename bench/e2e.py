"""End to end on the local stack `make dev` runs: submit over HTTP, wait for `outbox/{id}.eml`.

Sends are paced at SES's production rate of 14 a second, as the load bench does: the dev stage's
sandbox rate would make the pause between two sends the figure. Sequential: one submission at a
time, the next once the previous one's email is in the outbox, so
each latency is one submission's own path (API → S3 → bucket notification → SQS → worker → SES → outbox).
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import REPORT, free_port, median, now, percentile
from bench.load import PRODUCTION_SEND_RATE
from devstack.stack import LocalStack, Ports

PRODUCTION_PACING = {"LETTERBOX_SEND_RATE": f"{PRODUCTION_SEND_RATE:g}"}

POLL_SECONDS = 0.005


def _submit(api_url: str, origin: str) -> tuple[str, float]:
    request = urllib.request.Request(
        f"{api_url}/forms/action-report/submissions",
        data=json.dumps(REPORT).encode(),
        headers={"Content-Type": "application/json", "Origin": origin},
        method="POST",
    )
    started = now()
    with urllib.request.urlopen(request, timeout=10) as answer:
        body = json.load(answer)
        status = answer.status
    if status != 201:
        raise RuntimeError(f"submission answered {status}")
    return str(body["id"]), now() - started


def _wait_for(path: Path, deadline: float) -> float:
    while now() < deadline:
        if path.exists():
            return now()
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"{path.name} not in the outbox in time")


def measure(
    count: int,
    workdir: Path,
    per_submission_timeout: float = 30.0,
    budget: float = 600.0,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    ports = Ports(aws=free_port(), captcha=free_port(), api=free_port(), demo=free_port())
    outbox = workdir / "outbox"
    console = workdir / "stack.log"
    latencies: list[float] = []
    api_times: list[float] = []
    started = now()
    with console.open("wb") as output, LocalStack(ports, outbox=outbox, overrides=PRODUCTION_PACING) as stack:
        stack.start(output.fileno())
        origin = stack.demo_origins[0]
        # One submission first, to wait out the worker's first poll and the API's first (cold) request.
        warmup_id, _ = _submit(stack.api_url, origin)
        _wait_for(outbox / f"{warmup_id}.eml", now() + per_submission_timeout)
        for index in range(count):
            if now() - started > budget:
                raise TimeoutError(f"end-to-end run over its {budget:.0f} s budget after {index} submissions")
            submitted = now()
            submission_id, api_seconds = _submit(stack.api_url, origin)
            arrived = _wait_for(outbox / f"{submission_id}.eml", submitted + per_submission_timeout)
            latencies.append((arrived - submitted) * 1000)
            api_times.append(api_seconds * 1000)
            if (index + 1) % 50 == 0:
                log(f"  end to end: {index + 1}/{count}, p50 so far {median(latencies):.0f} ms")
    return {
        "method": (
            "devstack.LocalStack (moto server, siteverify stand-in, devstack.api_server API, devstack.worker) on free "
            f"loopback ports, LETTERBOX_SEND_RATE={PRODUCTION_SEND_RATE:g} (the dev stage's 1 a second, the SES "
            "sandbox's, shared by two workers, would make the pause between sends the figure); one warm-up "
            "submission, then sequential submissions over HTTP, each timed from just "
            "before its POST to the moment its outbox/{id}.eml exists (polled every 5 ms)"
        ),
        "submissions": len(latencies),
        "concurrency": 1,
        "p50_ms": percentile(latencies, 0.50),
        "p95_ms": percentile(latencies, 0.95),
        "max_ms": max(latencies),
        "api_answer_p50_ms": percentile(api_times, 0.50),
        "api_answer_p95_ms": percentile(api_times, 0.95),
        "after_api_p50_ms": percentile([t - a for t, a in zip(latencies, api_times, strict=True)], 0.50),
        "wall_seconds": now() - started,
        "latencies_ms": [round(value, 1) for value in latencies],
    }
