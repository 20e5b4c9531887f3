"""One cold start, in a fresh process: import a function's module and answer its first event(s).

    python bench/cold.py MODULE:HANDLER EVENTS.json

EVENTS.json holds a list of Lambda events: the first is answered cold, the rest warm, one by one.
The last line printed is `BENCH {json}`: CLOCK_MONOTONIC marks (the parent noted when it spawned
us), the AWS calls made, warm durations and peak RSS. Only the standard library is imported before
the measured import, so the baseline and the subjects pay the same for being measured. Run by path,
not with -m, so that nothing of the repository is importable unless the parent puts it on the path
(the packaged runs import the function from an extracted deployment package).
"""

from __future__ import annotations

import time

STARTED = time.clock_gettime(time.CLOCK_MONOTONIC)

import importlib  # noqa: E402 (after the first mark, on purpose)
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


class Context:
    """Lambda's context object, the attributes Chalice reads."""

    function_name = "letterbox-bench"
    memory_limit_in_mb = 128
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:letterbox-bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _mark() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def peak_rss_kb() -> int:
    """This process's peak RSS (VmHWM). Not ru_maxrss: Linux carries that over from the parent across exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(target: str, events_path: str) -> dict[str, Any]:
    module_name, _, handler_name = target.partition(":")
    events: list[dict[str, Any]] = json.loads(Path(events_path).read_text())
    calls: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        calls[event_name.removeprefix("before-call.")] += 1

    import_started = _mark()
    # Every function here loads botocore (boto3 is built on it): count the calls of every
    # client any session makes, whether through boto3 or botocore directly.
    import botocore.session

    create_client = botocore.session.Session.create_client

    def counting_create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        client = create_client(self, *args, **kwargs)
        client.meta.events.register("before-call.*.*", count)
        return client

    botocore.session.Session.create_client = counting_create_client  # type: ignore[method-assign]
    handler = getattr(importlib.import_module(module_name), handler_name)
    imported = _mark()
    context = Context()
    statuses: set[int] = set()
    warm_wall: list[float] = []
    warm_cpu: list[float] = []
    answered = cpu_at_answer = 0.0
    first_calls: dict[str, int] = {}
    for index, event in enumerate(events):
        wall, cpu = time.perf_counter(), time.process_time()
        answer = handler(event, context)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        statuses.add(int(answer.get("statusCode", 200)) if isinstance(answer, dict) else 200)
        if index == 0:
            answered = _mark()
            # CPU since the process began (interpreter start included): what a CPU-starved Lambda pays.
            cpu_at_answer = time.process_time()
            first_calls = dict(calls)
        else:
            warm_wall.append(wall)
            warm_cpu.append(cpu)
    return {
        "target": target,
        "module_file": str(getattr(sys.modules[module_name], "__file__", "")),
        "started": STARTED,
        "import_started": import_started,
        "imported": imported,
        "answered": answered,
        "cpu_at_answer": cpu_at_answer,
        "statuses": sorted(statuses),
        "first_calls": first_calls,
        "all_calls": dict(calls),
        "warm_count": len(warm_wall),
        "warm_wall_s": warm_wall,
        "warm_cpu_s": warm_cpu,
        "maxrss_kb": peak_rss_kb(),
        "modules": len(sys.modules),
    }


if __name__ == "__main__":
    print("BENCH " + json.dumps(main(sys.argv[1], sys.argv[2])), flush=True)
