"""ALTCHA's costs: the server's CPU per challenge and per verification, and the supporter's solve in Chromium.

Server: AltchaChallenges in this process, warm, process CPU time. A challenge costs one PBKDF2 derivation
(deterministic mode: we derive the secret counter's key); baseline, the bare hashlib.pbkdf2_hmac of the
same rounds. A verification checks two HMACs (the challenge's, the derived key's); baseline, the altcha
package verifying the same solution without the key signature (it derives the key again).

Browser: Debian's Chromium (Playwright), the committed embed/altcha.js with its default settings, on a
loopback origin (the widget needs a secure context); challenges from AltchaChallenges at the default
altcha_max_number, served by a Playwright route. Solves alternate between two browsers: one held by a
cgroup CPU quota to 1/4 of this machine's CPU time, every process and thread of it (bench/cpu_limit.py:
Chromium's own CPU throttling would slow the widget's script but not the browser's native PBKDF2),
standing for a mid-range phone as Lighthouse's 4× CPU slowdown does; one unlimited (the baseline).
Wall time is from verify() to the widget's `verified` event (it holds the result back to at least
500 ms, its minDuration); `pow` is the widget's own measure of the proof of work.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import ROOT
from bench.cpu_limit import CpuLimit
from chalicelib.core.form_choices import DEFAULT_ALTCHA_MAX_NUMBER
from chalicelib.intake.altcha_challenges import ALGORITHM, COST, AltchaChallenges

CHROMIUM = Path("/usr/bin/chromium")
PAGE = (
    '<!doctype html><html lang="en"><body><form><altcha-widget id="w" challenge="/challenge" name="altcha">'
    '</altcha-widget></form><script type="module" src="/altcha.js"></script></body></html>'
)
SOLVE = """() => new Promise((ok) => {
  const w = document.getElementById('w');
  const started = performance.now();
  w.addEventListener('verified', (e) => ok([performance.now() - started, e.detail.payload]), { once: true });
  w.verify();
})"""
PHONE_RATE = 4
Row = tuple[str, str, str, str, str, str]


def measure(server_samples: int, solves: int, log: Callable[[str], None]) -> dict[str, Any]:
    figures = server_cpu(server_samples)
    log(f"  challenge {figures['issue_us']:.0f} µs CPU, verification {figures['verify_us']:.0f} µs CPU")
    figures["browser"] = browser_solves(solves, log)
    return figures


def server_cpu(samples: int) -> dict[str, Any]:
    from altcha import verify_solution

    key = secrets.token_bytes(32)
    service = AltchaChallenges(lambda: key)
    issued = [service.issue("action-report", 10) for _ in range(samples)]
    payloads = [_solved(challenge) for challenge in issued]
    issue_us = _cpu_us(samples, lambda: service.issue("action-report", DEFAULT_ALTCHA_MAX_NUMBER))
    derive_us = _cpu_us(samples, lambda: hashlib.pbkdf2_hmac("sha256", b"p" * 20, b"s" * 16, COST, 32))
    queue = iter(payloads * 3)
    verify_us = _cpu_us(samples, lambda: service.verify("action-report", next(queue)))
    slow = iter(payloads * 3)
    slow_us = _cpu_us(samples, lambda: verify_solution(next(slow), key))
    return {
        "algorithm": ALGORITHM,
        "cost": COST,
        "max_number": DEFAULT_ALTCHA_MAX_NUMBER,
        "samples": samples,
        "issue_us": issue_us,
        "bare_derivation_us": derive_us,
        "verify_us": verify_us,
        "rederiving_verify_us": slow_us,
    }


def browser_solves(solves: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Solves alternate between a Chromium on this machine and one held to 1/PHONE_RATE of its CPU."""
    from playwright.sync_api import Page, Route, sync_playwright

    key = secrets.token_bytes(32)
    service = AltchaChallenges(lambda: key)
    widget = (ROOT / "embed" / "altcha.js").read_bytes()

    def route(route: Route) -> None:
        path = route.request.url.split("/", 3)[-1]
        if path == "challenge":
            body = json.dumps(service.issue("bench", DEFAULT_ALTCHA_MAX_NUMBER))
            route.fulfill(status=200, content_type="application/json", body=body)
        elif path == "altcha.js":
            route.fulfill(status=200, content_type="text/javascript", body=widget)
        else:
            route.fulfill(status=200, content_type="text/html", body=PAGE)

    def opened(executable: Path) -> Page:
        browser = driver.chromium.launch(executable_path=str(executable), headless=True, args=["--no-sandbox"])
        page = browser.new_page()
        page.route("**/*", route)
        page.goto("http://127.0.0.1:9/")
        page.wait_for_function("!!customElements.get('altcha-widget')")
        page.evaluate("() => new Promise((ok) => setTimeout(ok, 200))")  # its 'load' has fired
        return page

    runs: dict[int, list[dict[str, float]]] = {PHONE_RATE: [], 1: []}
    with CpuLimit(PHONE_RATE) as limit, sync_playwright() as driver:
        pages = {PHONE_RATE: opened(limit.launcher(CHROMIUM)), 1: opened(CHROMIUM)}
        workers = pages[1].evaluate("navigator.hardwareConcurrency")
        for _ in range(solves):
            for rate, page in pages.items():
                wall_ms, payload = page.evaluate(SOLVE)
                solution = json.loads(base64.b64decode(payload))["solution"]
                service.verify("bench", payload)  # each one a real, accepted solution
                runs[rate].append({"wall_ms": wall_ms, "pow_ms": solution["time"], "counter": solution["counter"]})
                page.evaluate("document.getElementById('w').reset()")
        held_back_ms = limit.throttled_us() / 1000
        for page in pages.values():
            page.context.browser.close()  # type: ignore[union-attr]  # launched, so it has one
    summary = {str(rate): _summary(entries) for rate, entries in runs.items()}
    log(
        f"  solve on a CPU {PHONE_RATE}× slower: median {summary[str(PHONE_RATE)]['wall_ms_median']:.0f} ms wall "
        f"(unlimited {summary['1']['wall_ms_median']:.0f} ms; the quota held the browser back {held_back_ms:.0f} ms)"
    )
    return {
        "solves": solves,
        "workers": workers,
        "phone_rate": PHONE_RATE,
        "cpus": limit.cpus,
        "held_back_ms": held_back_ms,
        "by_rate": summary,
    }


def rows(figures: Any) -> list[Row]:
    phone = figures["browser"]["by_rate"][str(figures["browser"]["phone_rate"])]
    desk = figures["browser"]["by_rate"]["1"]
    return [
        (
            f"ALTCHA challenge ({figures['algorithm']}, {figures['cost']:,} rounds, max number "
            f"{figures['max_number']:,}): server CPU per challenge, warm",
            f"{figures['issue_us']:.0f} µs",
            f"{figures['bare_derivation_us']:.0f} µs (one bare PBKDF2 of the same rounds)",
            f"{figures['issue_us'] / figures['bare_derivation_us']:.2f}×",
            "reported",
            "—",
        ),
        (
            "ALTCHA verification at submit: server CPU, warm",
            f"{figures['verify_us']:.0f} µs",
            f"{figures['rederiving_verify_us']:.0f} µs (verifying by deriving the key again)",
            f"{figures['verify_us'] / figures['rederiving_verify_us']:.2f}×",
            "reported",
            "—",
        ),
        (
            f"ALTCHA solve in Chromium, the widget's defaults ({figures['browser']['workers']} workers), "
            f"on a CPU {figures['browser']['phone_rate']}× slower (a mid-range phone: a cgroup CPU quota), "
            f"{figures['browser']['solves']} solves",
            f"median {phone['wall_ms_median']:.0f} ms, p90 {phone['wall_ms_p90']:.0f} ms, max "
            f"{phone['wall_ms_max']:.0f} ms wall (proof of work median {phone['pow_ms_median']:.0f} ms)",
            f"median {desk['wall_ms_median']:.0f} ms on this machine's CPU",
            f"{phone['wall_ms_median'] / desk['wall_ms_median']:.2f}×",
            "about 1 s",
            _met(phone["wall_ms_median"] <= 1500),
        ),
    ]


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _solved(challenge: dict[str, Any]) -> str:
    from altcha import Challenge, Payload, solve_challenge

    parsed = Challenge.from_dict(challenge)
    solution = solve_challenge(parsed, timeout=60)
    if solution is None:
        raise RuntimeError("the altcha package's solver found no solution")
    return Payload(parsed, solution).to_base64()


def _cpu_us(samples: int, run: Callable[[], object]) -> float:
    """Median CPU time of one call, in µs."""
    spent = []
    for _ in range(samples):
        started = time.process_time()
        run()
        spent.append((time.process_time() - started) * 1e6)
    return statistics.median(spent)


def _summary(entries: list[dict[str, float]]) -> dict[str, float]:
    walls = sorted(entry["wall_ms"] for entry in entries)
    return {
        "wall_ms_median": statistics.median(walls),
        "wall_ms_p90": walls[min(len(walls) - 1, int(0.9 * len(walls)))],
        "wall_ms_max": walls[-1],
        "pow_ms_median": statistics.median(entry["pow_ms"] for entry in entries),
        "counter_median": statistics.median(entry["counter"] for entry in entries),
    }
