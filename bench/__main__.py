"""`make bench`: every figure of issue 7 in one run; prints the table and writes bench/results/latest.json.

python -m bench [--samples 9] [--steady 100] [--cpu-samples 9] [--cpu-requests 200] [--e2e 200]
                [--load 1000] [--load-clients 50] [--load-send-rate 14]
                [--idempotency-sizes 0,10000,100000] [--idempotency-samples 15] [--idempotency-budget 900]
                [--skip-package] [--skip-cpu] [--skip-cold] [--skip-e2e] [--skip-load] [--skip-load-kill]
                [--export-count 10000] [--digest-sizes 10,100,1000] [--digest-samples 3]
                [--altcha-samples 51] [--altcha-solves 15] [--wall-sizes 200,2000,20000] [--wall-rounds 9]
                [--wall-requests 50] [--skip-idempotency] [--skip-export] [--skip-digest] [--skip-altcha]
                [--skip-wall] [--out PATH]
"""

from __future__ import annotations

import argparse
import functools
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

from bench import altcha, coldstart, cost, digest, e2e, export, load, package, wall
from bench.aws import LocalAws
from bench.common import RESULTS, ROOT, machine, median, now, run_part
from bench.report import render_table

WARM_TIMEOUT = 900
IDEMPOTENCY_TIMEOUT = 1800


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
    args = ["--captcha", captcha, "--samples", str(samples), "--requests", str(requests)]
    raw: dict[str, Any] = run_part("bench.warm", args, env, WARM_TIMEOUT)
    medians = {name: median(values) for name, values in raw["samples_us"].items()}
    base = medians["baseline_echo"]
    return {
        **raw,
        "median_us": medians,
        "ratio_to_baseline": {name: value / base for name, value in medians.items()},
    }


def cpu(samples: int, requests: int, results: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": (
            "one process (bench/warm.py), warm: app(event, context) called with API Gateway proxy events built "
            "beforehand; CPU of the calling thread (time.thread_time) per request, median of the samples; AWS "
            "calls answered by botocore's Stubber; baseline (a bare Chalice route that parses the JSON body and "
            "returns it) interleaved, order rotated each round"
        ),
        "captcha_off": _stage("CPU, captcha off", results, lambda: warm_cpu("off", samples, requests)),
        "captcha_on": _stage(
            "CPU, captcha via loopback siteverify", results, lambda: warm_cpu("on", samples, requests)
        ),
    }


def idempotency(sizes: str, samples: int, budget: float) -> dict[str, Any]:
    """bench/idempotency.py in a process of its own: its settings and imports stay out of this one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LETTERBOX_", "HCAPTCHA_", "AWS_"))}
    args = ["--sizes", sizes, "--samples", str(samples), "--budget", str(budget)]
    figures: dict[str, Any] = run_part("bench.idempotency", args, env, IDEMPOTENCY_TIMEOUT, show_progress=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--samples", type=int, default=15, help="cold starts per function and condition (≥ 7)")
    parser.add_argument("--steady", type=int, default=100, help="warm requests after the cold one, steady runs")
    parser.add_argument("--cpu-samples", type=int, default=9)
    parser.add_argument("--cpu-requests", type=int, default=200, help="requests per CPU sample")
    parser.add_argument("--e2e", type=int, default=200, help="end-to-end submissions")
    parser.add_argument("--load", type=int, default=1000, help="submissions in the day-of-action load")
    parser.add_argument("--load-clients", type=int, default=50, help="concurrent clients of the load")
    parser.add_argument(
        "--load-send-rate",
        type=float,
        default=load.PRODUCTION_SEND_RATE,
        help="LETTERBOX_SEND_RATE of the load's stack",
    )
    parser.add_argument("--idempotency-sizes", default="0,10000,100000", help="objects stored that day")
    # With 5, one noisy millisecond against moto decided the 1.2× target.
    parser.add_argument("--idempotency-samples", type=int, default=15)
    parser.add_argument("--idempotency-budget", type=float, default=900.0, help="seconds, then extrapolated")
    parser.add_argument("--export-count", type=int, default=10_000, help="stored submissions the export reads")
    parser.add_argument("--digest-sizes", default="10,100,1000", help="submissions in the digest's hour")
    parser.add_argument("--digest-samples", type=int, default=3, help="sends per digest size")
    parser.add_argument("--altcha-samples", type=int, default=51, help="challenges and verifications timed")
    parser.add_argument("--altcha-solves", type=int, default=15, help="browser solves per throttling rate")
    parser.add_argument("--skip-altcha", action="store_true")
    parser.add_argument("--wall-sizes", default="200,2000,20000", help="entries published on the wall")
    parser.add_argument("--wall-rounds", type=int, default=9, help="rounds of feed requests, sizes interleaved")
    parser.add_argument("--wall-requests", type=int, default=50, help="feed requests per variant and round")
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--skip-package", action="store_true")
    parser.add_argument("--skip-cpu", action="store_true")
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--skip-load", action="store_true", help="both load runs")
    parser.add_argument("--skip-load-kill", action="store_true", help="the load run with the worker killed")
    parser.add_argument("--skip-idempotency", action="store_true")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--skip-digest", action="store_true")
    parser.add_argument("--skip-wall", action="store_true")
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
        results["cpu"] = {} if args.skip_cpu else cpu(args.cpu_samples, args.cpu_requests, results)

        def cold() -> dict[str, Any]:
            with LocalAws() as aws:
                return coldstart.measure(aws, args.samples, args.steady, workdir / "cold", package_zip, log)

        if not args.skip_cold:
            results["cold"] = _stage("cold starts", results, cold)
        if not args.skip_e2e:
            (workdir / "e2e").mkdir()
            results["e2e"] = _stage("end to end", results, lambda: e2e.measure(args.e2e, workdir / "e2e", log=log))
        if not args.skip_load:
            load_runs = {"load": False} if args.skip_load_kill else {"load": False, "load_kill": True}
            for name, kill in load_runs.items():
                (workdir / name).mkdir()
                title = "day of action, worker killed midway" if kill else "day of action"
                run = functools.partial(
                    load.measure,
                    args.load,
                    workdir / name,
                    clients=args.load_clients,
                    kill=kill,
                    send_rate=args.load_send_rate,
                    log=log,
                )
                results[name] = _stage(title, results, run)
        if not args.skip_idempotency:
            results["idempotency"] = _stage(
                "Idempotency-Key as the day fills",
                results,
                lambda: idempotency(args.idempotency_sizes, args.idempotency_samples, args.idempotency_budget),
            )
        if not args.skip_export:
            (workdir / "export").mkdir()

            def export_run() -> dict[str, Any]:
                with LocalAws() as aws:
                    return export.measure(aws, args.export_count, workdir / "export", log)

            results["export"] = _stage(f"export of {args.export_count:,} submissions", results, export_run)
        if not args.skip_digest:
            sizes = [int(size) for size in args.digest_sizes.split(",") if size.strip()]

            def digest_run() -> dict[str, Any]:
                with LocalAws() as aws:
                    return digest.measure(aws, sizes, args.digest_samples, log)

            results["digest"] = _stage("digest cost per period", results, digest_run)
        if not args.skip_altcha:
            results["altcha"] = _stage(
                "ALTCHA challenge, verification and solve",
                results,
                lambda: altcha.measure(args.altcha_samples, args.altcha_solves, log),
            )
        if not args.skip_wall:
            wall_sizes = [int(size) for size in args.wall_sizes.split(",") if size.strip()]

            def wall_run() -> dict[str, Any]:
                with LocalAws() as aws:
                    return wall.measure(aws, wall_sizes, args.wall_rounds, args.wall_requests, log)

            results["wall"] = _stage("wall feed per request", results, wall_run)
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
