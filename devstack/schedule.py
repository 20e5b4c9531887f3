"""The digest schedule, run locally: a thread that calls app.py's `digests` handler on a clock, with
the event EventBridge would send, as Lambda's scheduled invocation does.

`interval` is how often it runs (seconds of real time); `now` is what time each run says it is.
`make dev` runs it every 15 minutes on the real clock (LETTERBOX_SCHEDULE_SECONDS changes that);
tests pass a fast interval and a clock of their own, so a day of digests passes in seconds.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("devstack.schedule")
Handler = Callable[[dict[str, Any], Any], Any]


def scheduled_event(now: datetime, region: str = "us-east-1") -> dict[str, Any]:
    """What EventBridge passes a scheduled function (the fields Chalice's CloudWatchEvent reads)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [],
        "detail": {},
    }


class ScheduleClock:
    def __init__(
        self,
        handler: Handler,
        interval: float,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._handler = handler
        self._interval = interval
        self._now = now
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def run_once(self) -> None:
        try:
            self._handler(scheduled_event(self._now()), None)
        except Exception as error:  # noqa: BLE001 (Lambda too retries a failed scheduled run, then waits)
            log.warning("digest schedule run failed: %s", type(error).__name__)
        self.runs += 1

    def start(self) -> ScheduleClock:
        self._thread = threading.Thread(target=self._run, name="digest-schedule", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.run_once()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
