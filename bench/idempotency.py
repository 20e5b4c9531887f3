"""A submission with an Idempotency-Key as the day fills: 0, 10,000 and 100,000 objects stored that day.

    python -m bench.idempotency [--sizes 0,10000,100000] [--samples 5] [--budget 900]

In one process: the API's handler (app.app) called with API Gateway events, warm, the captcha verified
by devstack's siteverify stand-in, against moto in server mode (a process of its own) over loopback.
The day is filled once per run with tiny objects under today's prefix
(submissions/action-report/YYYY/MM/DD/{id}.json, the keys the store writes). For each size: the S3
requests of one submission (counted on the client with botocore's events, as bench/warm.py does) and
the median latency of `samples` submissions with a new key, and of `samples` replays of a key already
used. Prints `BENCH {json}` as its last line when run as a script.

Latency on moto is not latency on S3: moto answers each LIST page by sorting every key of the bucket,
so a day-wide LIST costs it far more than it costs S3. The request count is what carries over to AWS.
When the requests grow with the day and measuring a size would overrun the budget, that size is
extrapolated from the two before it, and says so.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from bench.cold import Context
from bench.common import FORM, ORIGIN, REPORT, ROOT, SENDER, TEST_SECRET, TEST_SITEKEY, free_port, median, submit_event
from devstack.siteverify import SiteverifyServer
from devstack.stack import temporary_env

BUCKET = "letterbox-bench-idempotency"
SIZES = (0, 10_000, 100_000)
WARMUP = 10


def _credentials() -> dict[str, str]:
    return {"aws_access_key_id": "bench", "aws_secret_access_key": "bench", "region_name": "us-east-1"}


def _environment(aws_url: str, verify_url: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": aws_url,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LETTERBOX_STAGE": "dev",
        "LETTERBOX_LOCAL": "1",  # hCaptcha's test keys are accepted on a local stack only
        "LETTERBOX_BUCKET": BUCKET,
        "LETTERBOX_ORIGINS": ORIGIN,
        "HCAPTCHA_SITEKEY": TEST_SITEKEY,
        "HCAPTCHA_SECRET": TEST_SECRET,
        "HCAPTCHA_VERIFY_URL": verify_url,
        "LETTERBOX_SENDER": SENDER,
        "LETTERBOX_ORGANIZERS": "organizers@example.org",
    }


def fill(count: int, day: datetime) -> float:
    """Add `count` tiny objects under `day`'s prefix, straight into moto's store; the seconds it took.

    Runs in the moto process. Over HTTP, put_object from 16 threads fills moto at about 100 objects a
    second on a 2-core machine (17 minutes for 100,000); moto's own put_object at about 10,000. The
    objects are the same to every later request: same keys, same bodies.
    """
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    from chalicelib.core import ids
    from chalicelib.core.storage import submission_key

    backend = s3_backends[DEFAULT_ACCOUNT_ID]["global"]
    # Spread over the day up to now, as a day of submissions is: ids carry their time.
    start_ms = int(day.replace(hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)
    span_ms = max(1, int(day.timestamp() * 1000) - start_ms)
    started = time.perf_counter()
    for index in range(count):
        moment = datetime.fromtimestamp((start_ms + index * span_ms // max(count, 1)) / 1000, tz=UTC)
        backend.put_object(BUCKET, submission_key(FORM, ids.new_submission_id(moment)), b"{}")
    return time.perf_counter() - started


class LocalAwsProcess:
    """moto's server in a process of its own, which also fills the day when asked (over a pipe).

    Its own process: the handler measured here must not share a heap (and a garbage collector walking
    100,000 stored objects) nor the GIL with the emulator.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> LocalAwsProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.idempotency", "--serve-moto", str(self.port)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._expect("ready")
        return self

    def fill(self, count: int, day: datetime) -> float:
        assert self._process is not None
        assert self._process.stdin is not None
        self._process.stdin.write(f"fill {count} {day.isoformat()}\n")
        self._process.stdin.flush()
        return float(self._expect("filled"))

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.stdin is not None:
            self._process.stdin.close()  # end of commands: it stops its server and exits
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
        if self._process.stdout is not None:
            self._process.stdout.close()

    def _expect(self, word: str) -> str:
        assert self._process is not None
        assert self._process.stdout is not None
        line = self._process.stdout.readline().strip()  # the child answers each command, or exits
        if not line.startswith(word):
            raise RuntimeError(f"local AWS process: expected {word!r}, got {line!r} (status {self._process.poll()})")
        return line.removeprefix(word).strip()


def serve_moto(port: int) -> int:
    """The child's side: serve, and run `fill COUNT DAY` commands read from stdin until it closes."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # its access log: one line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print("ready", flush=True)
    try:
        for line in sys.stdin:
            command, *arguments = line.split()
            if command == "fill":
                print(f"filled {fill(int(arguments[0]), datetime.fromisoformat(arguments[1]))}", flush=True)
    finally:
        server.stop()
    return 0


class Counted:
    """S3 calls (by operation) and HTTP requests (retries included) the handler's S3 client makes."""

    def __init__(self, s3: Any) -> None:
        self.calls: Counter[str] = Counter()
        self.requests = 0
        s3.meta.events.register("before-call.s3.*", self._call)
        s3.meta.events.register("before-send.s3.*", self._request)

    def _call(self, event_name: str, **_: Any) -> None:
        self.calls[event_name.removeprefix("before-call.s3.")] += 1

    def _request(self, **_: Any) -> None:
        self.requests += 1

    def reset(self) -> None:
        self.calls.clear()
        self.requests = 0


def _submit(handler: Any, key: str) -> tuple[int, float, dict[str, int], int, str]:
    """One keyed submission: status, seconds, S3 calls by operation, HTTP requests, the id answered."""
    event = submit_event(REPORT, {"Idempotency-Key": key, "Accept": "application/json"})
    handler.counted.reset()
    started = time.perf_counter()
    answer = handler.app(event, Context())
    seconds = time.perf_counter() - started
    body = json.loads(answer.get("body") or "{}")
    return answer["statusCode"], seconds, dict(handler.counted.calls), handler.counted.requests, str(body.get("id"))


class _Api:
    def __init__(self) -> None:
        import app as letterbox
        from chalicelib import runtime

        runtime.reset()
        self.app = letterbox.app
        self.counted = Counted(runtime.s3_client())


def _sample(api: _Api, samples: int, stored_before: int) -> dict[str, Any]:
    fresh, replay = [], []
    first_key = f"bench-{uuid.uuid4()}"
    for index in range(samples):
        key = first_key if index == 0 else f"bench-{uuid.uuid4()}"
        status, seconds, calls, requests, _ = _submit(api, key)
        if status != 201:
            raise RuntimeError(f"a new Idempotency-Key answered {status}")
        fresh.append((seconds, calls, requests))
    for _ in range(samples):
        status, seconds, calls, requests, _ = _submit(api, first_key)
        if status not in (200, 201):
            raise RuntimeError(f"a replayed Idempotency-Key answered {status}")
        replay.append((seconds, calls, requests))
    return {
        "stored_before": stored_before,
        "new_key": _summary(fresh),
        "replay": _summary(replay),
    }


def _summary(runs: Sequence[tuple[float, dict[str, int], int]]) -> dict[str, Any]:
    return {
        "median_ms": median([seconds * 1000 for seconds, _, _ in runs]),
        "samples_ms": [round(seconds * 1000, 2) for seconds, _, _ in runs],
        # The last run's (they agree unless the day crossed a page boundary meanwhile).
        "s3_calls": runs[-1][1],
        "s3_requests": runs[-1][2],
        "s3_requests_per_run": [requests for _, _, requests in runs],
    }


def measure(
    sizes: Sequence[int] = SIZES,
    samples: int = 5,
    budget_seconds: float = 900.0,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    day = datetime.now(UTC)
    started = time.perf_counter()
    results: dict[str, Any] = {"sizes": {}, "fill_seconds": {}}
    moto = LocalAwsProcess().start()
    siteverify = SiteverifyServer().start()
    aws_url = moto.url
    try:
        with temporary_env(_environment(aws_url, siteverify.url)):
            s3 = boto3.client("s3", endpoint_url=aws_url, **_credentials())  # type: ignore[call-overload]
            s3.create_bucket(Bucket=BUCKET)
            api = _Api()
            # Warm: the first request imports the intake package and builds the validators; then the
            # day is emptied again.
            from chalicelib.core.storage import submission_key

            for _ in range(WARMUP):
                status, _, _, _, warmup_id = _submit(api, f"bench-warmup-{uuid.uuid4()}")
                if status != 201:
                    raise RuntimeError(f"a warm-up submission answered {status}")
                s3.delete_object(Bucket=BUCKET, Key=submission_key(FORM, warmup_id))
            stored = 0
            measured: list[tuple[int, dict[str, Any]]] = []
            for size in sorted(sizes):
                projection = _projection(measured, size)
                remaining = budget_seconds - (time.perf_counter() - started)
                if projection and projection["seconds_per_submission"] * 2 * samples > remaining:
                    results["sizes"][str(size)] = projection
                    log(f"  idempotency at {size:,}: extrapolated ({projection['reason']})")
                    continue
                if size > stored:
                    results["fill_seconds"][str(size)] = moto.fill(size - stored, day)
                    stored = size
                figures = _sample(api, samples, stored)
                results["sizes"][str(size)] = figures
                measured.append((stored, figures))
                stored += samples  # each new key stores one submission
                log(f"  idempotency at {size:,}: {figures['new_key']['median_ms']:.1f} ms")
    finally:
        from chalicelib import runtime

        runtime.reset()
        siteverify.stop()
        moto.stop()
    empty = results["sizes"][str(min(sizes))]["new_key"]
    for figures in results["sizes"].values():
        if "median_ms" in figures["new_key"]:
            figures["new_key"]["ratio_to_smallest"] = figures["new_key"]["median_ms"] / empty["median_ms"]
    crossed = datetime.now(UTC).date() != day.date() or day.hour == 0
    return {
        "method": (
            "in one process: app.app(event, context) with API Gateway events, warm, captcha verified by devstack's "
            "siteverify stand-in, against moto server (a process of its own) on loopback; the day filled once per "
            "run with tiny objects under today's prefix (moto's put_object, in the moto process); per size, "
            f"{samples} submissions with new keys, then {samples} replays of the first key; latency = the "
            "handler's wall time, median; S3 calls counted on the handler's client (botocore before-call / "
            "before-send events)"
        ),
        "samples": samples,
        "note": (
            "the bench crossed midnight UTC or ran in its first hour: the day before is looked up too"
            if crossed
            else ""
        ),
        **results,
    }


def _projection(measured: Sequence[tuple[int, dict[str, Any]]], size: int) -> dict[str, Any] | None:
    """When requests grow with the day: what `size` would cost, from the two largest sizes measured.

    S3 requests: linear in the day's objects (one LIST per 1,000 keys). Time on moto: quadratic, since
    moto sorts every key of the bucket for each page. Only used when measuring would overrun the budget.
    """
    if len(measured) < 2:
        return None
    (small, low), (large, high) = measured[-2], measured[-1]
    growth = high["new_key"]["s3_requests"] - low["new_key"]["s3_requests"]
    if growth <= 0 or large <= small:
        return None
    requests = high["new_key"]["s3_requests"] + growth * (size - large) / (large - small)
    seconds = high["new_key"]["median_ms"] / 1000 * (size / max(large, 1)) ** 2
    return {
        "stored_before": size,
        "extrapolated": True,
        "reason": (
            f"S3 requests grow with the day ({low['new_key']['s3_requests']} at {small:,}, "
            f"{high['new_key']['s3_requests']} at {large:,}): projected linearly; on moto one submission "
            f"would take about {seconds:.0f} s (quadratic), over the budget"
        ),
        "seconds_per_submission": seconds,
        "new_key": {"s3_requests": round(requests), "s3_requests_projected": True},
        "replay": {},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.idempotency", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES))
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--budget", type=float, default=900.0, help="seconds; larger sizes are extrapolated")
    parser.add_argument("--serve-moto", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_moto:
        return serve_moto(args.serve_moto)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    figures = measure(sizes, args.samples, args.budget, log=lambda line: print(line, file=sys.stderr, flush=True))
    print("BENCH " + json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
