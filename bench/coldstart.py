"""Cold starts: a fresh process per sample (bench/cold.py), baselines and subjects interleaved.

Two conditions, each with its own baseline:
  source    the repository and the venv, every module's bytecode cached (in a cache of the benchmark's own,
            filled by the warm-up runs): what a developer's machine does, and Lambda would with .pyc shipped.
  packaged  the function as `chalice package` ships it, extracted, with no bytecode written: Lambda's /var/task
            is read-only and the package has no .pyc, so the app, chalice/app.py and the dependencies
            in the package (jsonschema...) are compiled at every cold start. boto3 comes from the
            environment with its bytecode, as from Lambda's runtime. The baseline is packaged the same way.
"""

from __future__ import annotations

import compileall
import json
import py_compile
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import chalice

from bench.aws import LocalAws
from bench.common import REPORT, ROOT, SEALED_FORM, api_event, median, now, sealed_form_env, submit_event

KINDS = ("baseline", "api", "api_sealed", "notify")
# The functions whose cold start is compared with the baseline's.
SUBJECTS = ("api", "api_sealed", "notify")
T = TypeVar("T")
CHILD_TIMEOUT = 120
COLD_SCRIPT = Path(__file__).resolve().parent / "cold.py"
BASELINE_APP = Path(__file__).resolve().parent / "baseline_app" / "app.py"
CONDITION_TEXT = {
    "source": "repository and venv, every module's bytecode cached (the benchmark's own cache, filled by warm-up runs)",
    "packaged": (
        "the extracted `chalice package` zip, no bytecode written: app, chalicelib, chalice/app.py and the packaged "
        "dependencies compiled at every cold start, as on Lambda (read-only /var/task, no .pyc in the package); "
        "boto3 from the environment with its bytecode, as from Lambda's runtime; the baseline packaged the same way"
    ),
    "packaged_pyc": (
        "the same, with every .py of both packages compiled beforehand (unchecked-hash .pyc): what shipping bytecode "
        "in the deployment package would give on Lambda"
    ),
}
_PYTHON_VARIABLES = ("PYTHONPATH", "PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE", "PYTHONHOME")


@dataclass(frozen=True)
class Function:
    """Where a function's code is and what Lambda would call."""

    target: str  # module:handler
    path: Path  # on PYTHONPATH, and the working directory
    env: tuple[tuple[str, str], ...] = ()  # what this function's configuration adds


@dataclass(frozen=True)
class Condition:
    name: str
    functions: dict[str, Function]
    env: dict[str, str]


def source_condition(pycache: Path, sealed: dict[str, str]) -> Condition:
    return Condition(
        "source",
        {
            "baseline": Function("bench.baseline_app.app:app", ROOT),
            "api": Function("app:app", ROOT),
            "api_sealed": Function("app:app", ROOT, tuple(sealed.items())),
            "notify": Function("app:notify", ROOT),
        },
        {"PYTHONPYCACHEPREFIX": str(pycache)},
    )


def packaged_condition(package_zip: Path, workdir: Path, sealed: dict[str, str], bytecode: bool = False) -> Condition:
    """The deployment package extracted, and the baseline laid out as chalice would package it.

    With `bytecode`, both are compiled first (unchecked-hash .pyc, valid whatever the files' times):
    what shipping .pyc in the package would give.
    """
    name = "packaged_pyc" if bytecode else "packaged"
    letterbox = workdir / name / "letterbox"
    shutil.unpack_archive(package_zip, letterbox)
    baseline = workdir / name / "baseline"
    (baseline / "chalice").mkdir(parents=True)
    shutil.copyfile(BASELINE_APP, baseline / "app.py")
    chalice_dir = Path(chalice.__file__).parent
    for source in ("__init__.py", "app.py"):  # what chalice puts in every package
        shutil.copyfile(chalice_dir / source, baseline / "chalice" / source)
    if bytecode:
        for directory in (letterbox, baseline):
            compileall.compile_dir(
                directory, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH, workers=1
            )
    return Condition(
        name,
        {
            "baseline": Function("app:app", baseline),
            "api": Function("app:app", letterbox),
            "api_sealed": Function("app:app", letterbox, tuple(sealed.items())),
            "notify": Function("app:notify", letterbox),
        },
        {"PYTHONDONTWRITEBYTECODE": "1"},
    )


def run_child(
    function: Function, events: Sequence[dict[str, Any]], env: dict[str, str], condition: Condition
) -> dict[str, Any]:
    """Spawn bench/cold.py, time it from spawn to its first answer, return what it measured."""
    base = {name: value for name, value in env.items() if name not in _PYTHON_VARIABLES}
    base.update(condition.env)
    base.update(function.env)
    with tempfile.TemporaryDirectory(prefix="letterbox-bench-") as tmp:
        path = Path(tmp) / "events.json"
        path.write_text(json.dumps(list(events)))
        spawned = now()
        done = subprocess.run(
            [sys.executable, str(COLD_SCRIPT), function.target, str(path)],
            cwd=function.path,
            env={**base, "PYTHONPATH": str(function.path)},
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
            check=False,
        )
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(
            f"cold {function.target} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-4000:]}"
        )
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("BENCH "))
    result["total_ms"] = (result["answered"] - spawned) * 1000
    result["startup_ms"] = (result["started"] - spawned) * 1000
    result["import_ms"] = (result["imported"] - result["import_started"]) * 1000
    result["first_answer_ms"] = (result["answered"] - result["imported"]) * 1000
    result["cpu_ms"] = result["cpu_at_answer"] * 1000
    return result


def _check(kind: str, result: dict[str, Any], function: Function) -> None:
    expected = {"baseline": [200], "api": [201], "api_sealed": [201], "notify": [200]}[kind]
    if result["statuses"] != expected:
        raise RuntimeError(f"{kind}: answered {result['statuses']}, expected {expected}")
    if kind == "notify" and result["first_calls"].get("sesv2.SendEmail") != 1:
        raise RuntimeError(f"notify sent no email: {result['first_calls']}")
    if not result["module_file"].startswith(str(function.path)):
        raise RuntimeError(f"{function.target} was imported from {result['module_file']}, not {function.path}")


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def column(name: str) -> list[float]:
        return [float(run[name]) for run in runs]

    return {
        "samples": len(runs),
        "total_ms": median(column("total_ms")),
        "total_ms_all": [round(value, 1) for value in column("total_ms")],
        "startup_ms": median(column("startup_ms")),
        "import_ms": median(column("import_ms")),
        "first_answer_ms": median(column("first_answer_ms")),
        "cpu_ms": median(column("cpu_ms")),
        "peak_rss_mb": max(kb / 1024 for kb in column("maxrss_kb")),
        "modules_loaded": int(median(column("modules"))),
        "aws_calls_first_answer": runs[-1]["first_calls"],
    }


def _steady(result: dict[str, Any]) -> dict[str, Any]:
    """A longer-lived process: the warm requests after the cold one, and the peak RSS after all of them."""
    return {
        "requests": 1 + result["warm_count"],
        "warm_wall_ms": median([s * 1000 for s in result["warm_wall_s"]]),
        "warm_cpu_ms": median([s * 1000 for s in result["warm_cpu_s"]]),
        "peak_rss_mb": result["maxrss_kb"] / 1024,
        "aws_calls_total": result["all_calls"],
    }


def _rotated(items: Sequence[T], by: int) -> list[T]:
    shift = by % len(items)
    return [*items[shift:], *items[:shift]]


def measure(
    aws: LocalAws,
    samples: int,
    steady: int,
    workdir: Path,
    package_zip: Path | None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    # Time and CPU to an answer are measured, not SES's rate: no pause between the steady run's sends.
    env = {**aws.child_env(), "LETTERBOX_SEND_RATE": "100000"}
    put_body = json.dumps(REPORT)
    sealed = sealed_form_env(workdir / "sealed")
    source = source_condition(workdir / "pycache", sealed)
    conditions = [source]
    if package_zip is not None:
        conditions.append(packaged_condition(package_zip, workdir, sealed))
        conditions.append(packaged_condition(package_zip, workdir, sealed, bytecode=True))

    def events(kind: str, count: int) -> list[dict[str, Any]]:
        if kind == "baseline":
            return [api_event("/put", None, put_body) for _ in range(count)]
        if kind == "api":
            return [submit_event(REPORT) for _ in range(count)]
        if kind == "api_sealed":
            return [submit_event(REPORT, form=SEALED_FORM) for _ in range(count)]
        return [{"Records": aws.take_records(1)} for _ in range(count)]

    # Long-lived runs first: they fill the bytecode cache (kept out of the cold samples), give the warm
    # durations the cost uses and the peak RSS after many requests, and store submissions whose queue
    # messages the notify samples handle. Each packaged function is run once too, to warm the disk cache.
    log(f"  steady runs: {1 + steady} requests each, in one process")
    notify_needed = 1 + steady + samples * len(conditions) + len(conditions)
    steady_runs: dict[str, dict[str, Any]] = {}
    captcha_before = aws.siteverify_requests()
    steady_runs["api"] = run_child(source.functions["api"], events("api", notify_needed), env, source)
    siteverify_per_submission = (aws.siteverify_requests() - captcha_before) / notify_needed
    steady_runs["baseline"] = run_child(source.functions["baseline"], events("baseline", 1 + steady), env, source)
    steady_runs["notify"] = run_child(source.functions["notify"], events("notify", 1 + steady), env, source)
    for kind, result in steady_runs.items():
        _check(kind, result, source.functions[kind])
    _check(
        "api_sealed",
        run_child(source.functions["api_sealed"], events("api_sealed", 1), env, source),
        source.functions["api_sealed"],
    )
    for condition in conditions[1:]:
        for kind, function in condition.functions.items():
            _check(kind, run_child(function, events(kind, 1), env, condition), function)

    runs: dict[tuple[str, str], list[dict[str, Any]]] = {(c.name, k): [] for c in conditions for k in KINDS}
    for round_index in range(samples):
        # A condition's three functions run back to back (their ratios are paired), the order rotated
        # each round, within a condition and across conditions.
        pairs = [(c, kind) for c in _rotated(conditions, round_index) for kind in _rotated(KINDS, round_index)]
        for condition, kind in pairs:
            function = condition.functions[kind]
            result = run_child(function, events(kind, 1), env, condition)
            _check(kind, result, function)
            runs[(condition.name, kind)].append(result)
        log(
            f"  cold round {round_index + 1}/{samples}: "
            + "; ".join(
                f"{c.name} " + ", ".join(f"{k} {runs[(c.name, k)][-1]['total_ms']:.0f}" for k in KINDS)
                for c in conditions
            )
            + " (ms)"
        )

    results: dict[str, Any] = {}
    for condition in conditions:
        summaries = {kind: _summary(runs[(condition.name, kind)]) for kind in KINDS}
        base = summaries["baseline"]["total_ms"]
        per_round = {
            kind: median(
                [
                    subject["total_ms"] / baseline["total_ms"]
                    for subject, baseline in zip(
                        runs[(condition.name, kind)], runs[(condition.name, "baseline")], strict=True
                    )
                ]
            )
            for kind in SUBJECTS
        }
        results[condition.name] = {
            **summaries,
            "ratio": {kind: summaries[kind]["total_ms"] / base for kind in SUBJECTS},
            "median_of_per_round_ratios": per_round,
            "cpu_ratio": {kind: summaries[kind]["cpu_ms"] / summaries["baseline"]["cpu_ms"] for kind in SUBJECTS},
        }
    return {
        "method": (
            "a fresh process (bench/cold.py) per sample; wall time from spawn (CLOCK_MONOTONIC in the parent) to "
            "the first answer (the same clock in the child): interpreter start, import, the first event handled "
            "in-process as Lambda calls it (app(event, context) with an API Gateway proxy event; notify(event, "
            "context) with the SQS record the bucket notification produced). AWS: moto in server mode on loopback. "
            "Captcha on, answered by devstack's loopback siteverify stand-in. Baseline and subjects interleaved, "
            "order rotated each round; figures are medians, ratios are of medians."
        ),
        "conditions": {c.name: CONDITION_TEXT[c.name] for c in conditions},
        **results,
        "steady": {kind: _steady(result) for kind, result in steady_runs.items()},
        "siteverify_posts_per_submission": siteverify_per_submission,
    }
