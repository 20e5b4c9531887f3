"""Digest cost per period: CPU and wall time of one DigestSender.send for an hour holding N submissions.

    python -m bench.digest --plan JSON    (the child; prints `BENCH {json}` as its last line)

The parent (measure) seeds a bucket of the LocalAws it is given (bench/stored.py: valid action-report
records at the keys the store writes) with one closed UTC hour per send, the hour holding N
submissions spread evenly over it, for each size and sample, plus one warm-up hour; then runs the
child against that local AWS, S3 and SES (moto's sesv2) both over HTTP. The child builds the
notify function's DigestSender as chalicelib/runtime.py does (runtime.digest_sender(): the real
S3 client, settings, forms, SES mailer and marker store, LETTERBOX_NOTIFY=hourly) and calls
send(DigestDue(form, hour)) once per hour, sizes interleaved round by round: CPU of the process
(time.process_time, so the 8 reader threads count; moto runs in the parent), wall time, and the
requests its S3 and SES clients made (botocore before-call / before-send events). Sends are not
paced (LETTERBOX_SEND_RATE=1000): the pause between two emails is the rate limit's, not the digest's.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import FORM, median, run_part
from bench.stored import seed

BUCKET = "letterbox-bench-digest"
SIZES = (10, 100, 1000)
WARMUP_SIZE = 10
HOUR = timedelta(hours=1)
RUN_TIMEOUT = 1800
# Per-submission CPU may not grow with N: at the largest size at most this many times the smallest's.
TARGET_RATIO = 1.0


def measure(aws: Any, sizes: Sequence[int], samples: int, log: Callable[[str], None] = print) -> dict[str, Any]:
    """`aws` is a started bench.aws.LocalAws (its moto server runs in this process)."""
    import boto3

    sizes = sorted(set(sizes))
    hours = 1 + samples * len(sizes)
    if hours > 24:
        raise ValueError(f"{len(sizes)} sizes × {samples} samples need {hours} hours: one day holds 24")
    boto3.client("s3", endpoint_url=aws.url).create_bucket(Bucket=BUCKET)
    # A closed day: every hour of it is past its close margin.
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
    plan: list[dict[str, Any]] = [{"start": day.isoformat(), "size": WARMUP_SIZE, "warmup": True}]
    for sample in range(samples):
        for index, size in enumerate(sizes):
            start = day + HOUR * (1 + sample * len(sizes) + index)
            plan.append({"start": start.isoformat(), "size": size, "warmup": False})
    moments = []
    for entry in plan:
        start, size = datetime.fromisoformat(str(entry["start"])), int(entry["size"])
        moments += [start + HOUR * (index + 0.5) / size for index in range(size)]
    seed(BUCKET, moments)
    log(f"  digest: {len(moments):,} submissions seeded in {len(plan)} hours")
    env = {
        **aws.child_env(),
        "LETTERBOX_BUCKET": BUCKET,
        "LETTERBOX_NOTIFY": "hourly",
        "LETTERBOX_SEND_RATE": "1000",
    }
    sends: list[dict[str, Any]] = run_part("bench.digest", ["--plan", json.dumps(plan)], env, RUN_TIMEOUT)
    return summarise(sends, sizes, samples)


def summarise(sends: Sequence[dict[str, Any]], sizes: Sequence[int], samples: int) -> dict[str, Any]:
    by_size: dict[str, Any] = {}
    for size in sizes:
        runs = [send for send in sends if send["size"] == size and not send["warmup"]]
        for run in runs:
            if run["outcome"] != "sent" or run["s3_calls"].get("GetObject") != size:
                raise RuntimeError(f"a digest of {size} was {run['outcome']} after {run['s3_calls']}")
        cpu_ms = median([run["cpu_ms"] for run in runs])
        by_size[str(size)] = {
            "cpu_ms": cpu_ms,
            "wall_ms": median([run["wall_ms"] for run in runs]),
            "cpu_us_per_submission": cpu_ms * 1000 / size,
            "wall_us_per_submission": median([run["wall_ms"] for run in runs]) * 1000 / size,
            "cpu_ms_samples": [round(run["cpu_ms"], 2) for run in runs],
            "wall_ms_samples": [round(run["wall_ms"], 2) for run in runs],
            "s3_calls": runs[-1]["s3_calls"],
            "s3_requests": runs[-1]["s3_requests"],
            "ses_calls": runs[-1]["ses_calls"],
            "email_request_bytes": runs[-1]["email_request_bytes"],
        }
    smallest, largest = by_size[str(sizes[0])], by_size[str(sizes[-1])]
    marginal = {}
    for low, high in itertools.pairwise(sizes):
        extra = by_size[str(high)]["cpu_ms"] - by_size[str(low)]["cpu_ms"]
        marginal[f"{low}-{high}"] = extra * 1000 / (high - low)
    return {
        "method": (
            "a child process builds runtime.digest_sender() (the notify function's DigestSender: real S3 client, "
            "settings, forms, SES mailer, marker store; LETTERBOX_NOTIFY=hourly, sends not paced) against the "
            "local AWS (moto server on loopback in the bench's process: S3, and SES through sesv2) and calls "
            "send(DigestDue) once per closed UTC hour holding N valid action-report records seeded with moto's "
            "put_object, sizes interleaved round by round after one warm-up send; CPU = time.process_time of "
            "the child (reader threads included), wall = perf_counter around send; requests counted on its "
            "clients (botocore before-call / before-send); medians of the samples"
        ),
        "samples": samples,
        "sizes": by_size,
        "marginal_cpu_us_per_submission": marginal,
        "per_submission_cpu_ratio_largest_to_smallest": (
            largest["cpu_us_per_submission"] / smallest["cpu_us_per_submission"]
        ),
        "target_ratio": TARGET_RATIO,
        "sends": list(sends),
    }


class _Counted:
    """Calls by operation and HTTP requests (retries included) of one client; the SES request's size."""

    def __init__(self, client: Any, service: str) -> None:
        self.calls: Counter[str] = Counter()
        self.requests = 0
        self.request_bytes = 0
        self._service = service
        client.meta.events.register(f"before-call.{service}.*", self._call)
        client.meta.events.register(f"before-send.{service}.*", self._request)

    def _call(self, event_name: str, **_: Any) -> None:
        self.calls[event_name.removeprefix(f"before-call.{self._service}.")] += 1

    def _request(self, request: Any = None, **_: Any) -> None:
        self.requests += 1
        body = getattr(request, "body", None)
        self.request_bytes += len(body) if isinstance(body, bytes | str) else 0

    def reset(self) -> None:
        self.calls.clear()
        self.requests = self.request_bytes = 0


def run_plan(plan: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The child's side: one send per hour of the plan, measured."""
    from chalicelib import runtime
    from chalicelib.core.digest_periods import Period
    from chalicelib.notify.digest_due import DigestDue

    runtime.reset()
    sender = runtime.digest_sender()
    s3, ses = _Counted(runtime.s3_client(), "s3"), _Counted(runtime.ses_client(), "sesv2")
    sends = []
    for entry in plan:
        start = datetime.fromisoformat(str(entry["start"]))
        due = DigestDue(FORM, Period(start, start + HOUR))
        s3.reset()
        ses.reset()
        cpu, wall = time.process_time(), time.perf_counter()
        outcome = sender.send(due)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        sends.append(
            {
                **entry,
                "outcome": outcome.value,
                "cpu_ms": cpu * 1000,
                "wall_ms": wall * 1000,
                "s3_calls": dict(s3.calls),
                "s3_requests": s3.requests,
                "ses_calls": dict(ses.calls),
                "email_request_bytes": ses.request_bytes,
            }
        )
        print(f"  digest of {entry['size']}: {cpu * 1000:.0f} ms CPU, {wall * 1000:.0f} ms", file=sys.stderr)
    return sends


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.digest", description=__doc__.splitlines()[0])
    parser.add_argument("--plan", required=True, help="JSON: [{start, size, warmup}, …]")
    args = parser.parse_args(argv)
    if not os.environ.get("AWS_ENDPOINT_URL"):
        parser.error("run by bench/__main__.py against the local AWS (AWS_ENDPOINT_URL is not set)")
    sends = run_plan(json.loads(args.plan))
    print("BENCH " + json.dumps(sends), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
