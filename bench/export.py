"""Export throughput: `letterbox export` against the local AWS with 10,000 stored submissions.

    python -m bench.export --baseline --endpoint URL --bucket NAME --prefix P --out FILE   (the baseline's child)

The parent (measure) seeds `count` valid records of action-report into a bucket of the LocalAws it is
given (bench/stored.py: moto's put_object, no HTTP, no S3 event notifications), spread evenly over
the EXPORT_DAYS days before today, and writes a state file (letterbox/devstate.py) naming the local
AWS, that bucket and the stack's queues. Then, each in a fresh process, as an organizer runs them:

  baseline  plain boto3, as `aws s3 cp --recursive` works, before the exports and again after them:
            one paginated listing of the form's prefix, then a GET of each object by THREADS threads,
            the bodies written to a file
  csv       python -m letterbox --local export --form action-report --format csv --out FILE
  ndjson    the same, --format ndjson

Each: wall time from spawn to exit, CPU of that process (os.wait4's rusage), its peak RSS (VmHWM,
written by the process itself at exit: see PEAK_WRAPPER), the S3 requests the local AWS logged for
the bucket while it ran (RequestLog), and the rows written, checked against the count.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import FORM, LOCAL_CREDENTIALS, ROOT, now
from bench.stored import RequestLog, seed

BUCKET = "letterbox-bench-export"
EXPORT_DAYS = 10
FORMATS = ("csv", "ndjson")
TARGET_PER_SECOND = 200.0
RUN_TIMEOUT = 1800
# As letterbox/reading.py's reader and letterbox/target.py's client.
THREADS = 8
MAX_POOL_CONNECTIONS = 32


def measure(aws: Any, count: int, workdir: Path, log: Callable[[str], None] = print) -> dict[str, Any]:
    """`aws` is a started bench.aws.LocalAws (its moto server runs in this process)."""
    import boto3

    from letterbox import devstate

    s3 = boto3.client("s3", endpoint_url=aws.url)
    s3.create_bucket(Bucket=BUCKET)
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=EXPORT_DAYS)
    step = (end - start) / max(count, 1)
    started = now()
    seed(BUCKET, [start + step * index for index in range(count)])
    seed_seconds = now() - started
    log(f"  export: {count:,} submissions seeded in {seed_seconds:.1f} s")
    state = devstate.write_state(aws.url, {**aws.outputs, "BucketName": BUCKET}, workdir / "letterbox-dev.json")
    if state is None:
        raise RuntimeError("could not write the local stack's state file")
    env = {name: value for name, value in os.environ.items() if not name.startswith(("LETTERBOX_", "AWS_"))}
    env[devstate.STATE_ENV] = str(state)
    prefix = f"submissions/{FORM}/"
    runs: dict[str, Any] = {}
    requests = RequestLog(BUCKET)
    baseline_out = workdir / "baseline.bin"
    baseline = as_module("bench.export", "--baseline", "--endpoint", aws.url)
    baseline += ["--bucket", BUCKET, "--prefix", prefix, "--out", str(baseline_out)]
    with requests.active():
        # The baseline brackets the exports: run before and after them, its mean is the ratio's base.
        for name in ("baseline_before", *FORMATS, "baseline_after"):
            if name.startswith("baseline"):
                runs[name] = _run(baseline, {**env, **LOCAL_CREDENTIALS}, workdir, requests)
                runs[name]["rows"] = int(baseline_out.read_bytes().count(b"\n"))
                log(f"  export {name} (boto3 list + GET): {runs[name]['wall_seconds']:.1f} s")
                continue
            out = workdir / f"export.{name}"
            command = as_module("letterbox", "--local", "export", "--form", FORM)
            runs[name] = _run([*command, "--format", name, "--out", str(out)], env, workdir, requests)
            runs[name]["rows"] = _rows(out, name)
            runs[name]["output_bytes"] = out.stat().st_size
            log(f"  export --format {name}: {runs[name]['wall_seconds']:.1f} s")
    devstate.remove_state(state, aws.url)
    base_seconds = (runs["baseline_before"]["wall_seconds"] + runs["baseline_after"]["wall_seconds"]) / 2
    for name, run in runs.items():
        if run["rows"] != count:
            raise RuntimeError(f"{name} wrote {run['rows']} rows of {count}")
        run["submissions_per_second"] = count / run["wall_seconds"]
        run["s3_requests_per_submission"] = run["s3_requests"] / count
        run["ratio_to_baseline"] = run["wall_seconds"] / base_seconds
    return {
        "method": (
            f"{count:,} valid action-report records (SubmissionRecord, the form's schema version, keys as the "
            f"store writes them) seeded with moto's put_object into a bucket of the local AWS (moto server on "
            f"loopback, in the bench's process), spread over the {EXPORT_DAYS} days before today; each run a "
            "fresh process: `python -m letterbox --local export --form action-report --format F --out FILE` "
            "(the stack found through LETTERBOX_DEV_STATE), and as baseline plain boto3 listing the form's "
            f"prefix then GETting every object with {THREADS} threads into a file; wall time from spawn to "
            "exit; CPU from os.wait4's rusage of that process, peak RSS its own VmHWM at exit; S3 requests "
            "from the local AWS's request log (werkzeug) while it ran"
        ),
        "submissions": count,
        "days": EXPORT_DAYS,
        "seed_seconds": seed_seconds,
        "target_submissions_per_second": TARGET_PER_SECOND,
        "baseline_wall_seconds": base_seconds,
        "baseline_submissions_per_second": count / base_seconds,
        "runs": runs,
    }


# Runs a module as `python -m` does and, at exit, writes the process's own peak RSS (VmHWM, which exec
# resets) to a file: wait4's ru_maxrss keeps the forking bench's size, hundreds of MB, across exec.
PEAK_ENV = "LETTERBOX_BENCH_PEAK_FILE"
PEAK_WRAPPER = (
    "import atexit, os, runpy, sys\n"
    "def peak():\n"
    "    hwm = [line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')]\n"
    f"    open(os.environ['{PEAK_ENV}'], 'w').write(hwm[0])\n"
    "atexit.register(peak)\n"
    "module = sys.argv.pop(1)\n"
    "runpy.run_module(module, run_name='__main__', alter_sys=True)\n"
)


def as_module(module: str, *arguments: str) -> list[str]:
    """`python -m module arguments`, reporting its own peak RSS at exit."""
    return [sys.executable, "-c", PEAK_WRAPPER, module, *arguments]


def _run(command: Sequence[str], env: dict[str, str], workdir: Path, requests: RequestLog) -> dict[str, Any]:
    """One child to its end: wall seconds, its own CPU and peak RSS, and the S3 requests it made."""
    requests.reset()
    errors = workdir / "stderr.txt"
    peak = workdir / "peak-rss-kb.txt"
    peak.unlink(missing_ok=True)
    env = {**env, PEAK_ENV: str(peak)}
    with errors.open("wb") as stderr:
        started = now()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        timer = threading.Timer(RUN_TIMEOUT, process.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        wall = now() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        tail = errors.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(command[1:4])} … exited {process.returncode}: {tail}")
    return {
        "wall_seconds": wall,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": int(peak.read_text()) / 1024,  # VmHWM is in kB
        "s3_requests": requests.total,
        "s3_calls": dict(requests.counts),
        "stderr_tail": errors.read_text(errors="replace")[-300:].strip(),
    }


def _rows(path: Path, fmt: str) -> int:
    if fmt == "csv":
        with path.open(encoding="utf-8-sig", newline="") as stream:
            return sum(1 for _ in csv.reader(stream)) - 1  # the header
    return sum(1 for line in path.read_bytes().splitlines() if line.strip())


def baseline(endpoint: str, bucket: str, prefix: str, out: Path) -> int:
    """The child's side: list the prefix, GET every object with THREADS threads, the bodies one a line."""
    import boto3
    from botocore.config import Config

    config = Config(max_pool_connections=MAX_POOL_CONNECTIONS, retries={"mode": "standard", "total_max_attempts": 5})
    s3: Any = boto3.client("s3", endpoint_url=endpoint, config=config)
    keys = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in page.get("Contents", [])
    ]

    def body(key: str) -> bytes:
        data: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return data

    with ThreadPoolExecutor(THREADS) as pool, out.open("wb") as stream:
        for data in pool.map(body, keys):
            stream.write(data.rstrip(b"\n") + b"\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.export", description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", action="store_true", required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    return baseline(args.endpoint, args.bucket, args.prefix, args.out)


if __name__ == "__main__":
    sys.exit(main())
