"""`make bench`: every figure of issue 7 in one run; prints the table and writes bench/results/latest.json.

python -m bench [--samples 9] [--steady 100] [--cpu-samples 9] [--cpu-requests 200] [--e2e 200]
                [--skip-e2e] [--skip-package] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import coldstart, cost, e2e, package
from bench.aws import LocalAws
from bench.common import RESULTS, ROOT, machine, median, now
from bench.report import render_table

WARM_TIMEOUT = 900


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _stage(name: str, results: dict[str, Any], run: Callable[[], Any]) -> Any:
    """Run one part; a failure is recorded in the results, and the other parts still run."""
    log(f"{name}...")
    started = now()
    try:
        value = run()
    except Exception as error:  # noqa: BLE001 (reported in the table and the JSON, not swallowed)
        log(f"{name} FAILED: {type(error).__name__}: {error}")
        results.setdefault("errors", {})[name] = "".join(traceback.format_exception_only(error)).strip()
        return None
    log(f"{name}: {now() - started:.0f} s")
    return value


def warm_cpu(captcha: str, samples: int, requests: int) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LETTERBOX_", "HCAPTCHA_", "AWS_"))}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.warm",
            "--captcha",
            captcha,
            "--samples",
            str(samples),
            "--requests",
            str(requests),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=WARM_TIMEOUT,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"bench.warm failed ({done.returncode}): {done.stderr[-3000:]}")
    raw: dict[str, Any] = json.loads(lines[-1].removeprefix("BENCH "))
    medians = {name: median(values) for name, values in raw["samples_us"].items()}
    base = medians["baseline_echo"]
    return {
        **raw,
        "median_us": medians,
        "ratio_to_baseline": {name: value / base for name, value in medians.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--samples", type=int, default=15, help="cold starts per function and condition (≥ 7)")
    parser.add_argument("--steady", type=int, default=100, help="warm requests after the cold one, steady runs")
    parser.add_argument("--cpu-samples", type=int, default=9)
    parser.add_argument("--cpu-requests", type=int, default=200, help="requests per CPU sample")
    parser.add_argument("--e2e", type=int, default=200, help="end-to-end submissions")
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--skip-package", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args(argv)
    # moto's server logs every request at INFO.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    started = now()
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "git_commit": _git_commit(),
        "parameters": vars(args) | {"out": str(args.out)},
    }
    with tempfile.TemporaryDirectory(prefix="letterbox-bench-") as tmp:
        workdir = Path(tmp)
        package_zip: Path | None = None
        if not args.skip_package:
            package_zip = _stage("package", results, lambda: package.build(workdir / "package"))
            if package_zip is not None:
                results["package"] = package.analyse(package_zip)
        results["cpu"] = {
            "method": (
                "one process (bench/warm.py), warm: app(event, context) called with API Gateway proxy events built "
                "beforehand; CPU of the calling thread (time.thread_time) per request, median of the samples; AWS "
                "calls answered by botocore's Stubber; baseline (a bare Chalice route that parses the JSON body and "
                "returns it) interleaved, order rotated each round"
            ),
            "captcha_off": _stage(
                "CPU, captcha off", results, lambda: warm_cpu("off", args.cpu_samples, args.cpu_requests)
            ),
            "captcha_on": _stage(
                "CPU, captcha via loopback siteverify",
                results,
                lambda: warm_cpu("on", args.cpu_samples, args.cpu_requests),
            ),
        }

        def cold() -> dict[str, Any]:
            with LocalAws() as aws:
                return coldstart.measure(aws, args.samples, args.steady, workdir / "cold", package_zip, log)

        results["cold"] = _stage("cold starts", results, cold)
        if not args.skip_e2e:
            (workdir / "e2e").mkdir()
            results["e2e"] = _stage("end to end", results, lambda: e2e.measure(args.e2e, workdir / "e2e", log=log))
    if results.get("cold") and results["cpu"].get("captcha_off"):
        results["cost"] = cost.estimate(results["cold"], results["cpu"]["captcha_off"])
    results["machine"]["loadavg_at_end"] = list(os.getloadavg())
    results["wall_seconds"] = now() - started
    table = render_table(results)
    results["table_markdown"] = table
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(table)
    print(f"\nJSON: {args.out}")
    return 1 if results.get("errors") else 0


def _git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
