"""The small file through which `letterbox --local` finds the running `make dev` stack.

devstack writes it when its stack is up and removes it when the stack stops. It holds where the
local AWS listens and the names of the bucket and queues: nothing secret, nothing a supporter sent.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# Tests (and a second checkout) point elsewhere with this variable.
STATE_ENV = "LETTERBOX_DEV_STATE"
STATE_NAME = "letterbox-dev.json"
# moto accepts any credentials, but botocore must find some to sign with.
LOCAL_REGION = "us-east-1"


@dataclass(frozen=True)
class DevState:
    endpoint: str
    region: str
    bucket: str
    notify_queue_url: str
    dead_letter_queue_url: str
    pid: int


def state_path() -> Path:
    """Inside the virtual environment both `make dev` and the console script run in."""
    named = os.environ.get(STATE_ENV, "").strip()
    return Path(named) if named else Path(sys.prefix) / STATE_NAME


def write_state(endpoint: str, outputs: Mapping[str, str], path: Path | None = None) -> Path | None:
    """Write the state file; None (and nothing written) when another running stack owns it or it cannot be."""
    path = path or state_path()
    current = read_state(path)
    if current is not None and current.pid != os.getpid() and process_alive(current.pid):
        return None  # a `make dev` that runs already keeps its file: a test stack must not take it over
    state = {
        "endpoint": endpoint,
        "region": LOCAL_REGION,
        "bucket": outputs["BucketName"],
        "notify_queue_url": outputs["NotifyQueueUrl"],
        "dead_letter_queue_url": outputs["DeadLetterQueueUrl"],
        "pid": os.getpid(),
    }
    try:
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(json.dumps(state, indent=2) + "\n")
        partial.replace(path)
    except OSError:
        return None
    return path


def remove_state(path: Path | None, endpoint: str) -> None:
    """Remove the state file if it still names this stack's endpoint."""
    if path is None:
        return
    current = read_state(path)
    if current is not None and current.endpoint == endpoint:
        path.unlink(missing_ok=True)


def read_state(path: Path | None = None) -> DevState | None:
    try:
        raw = json.loads((path or state_path()).read_text())
        return DevState(
            endpoint=str(raw["endpoint"]),
            region=str(raw.get("region", LOCAL_REGION)),
            bucket=str(raw["bucket"]),
            notify_queue_url=str(raw["notify_queue_url"]),
            dead_letter_queue_url=str(raw["dead_letter_queue_url"]),
            pid=int(raw["pid"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, and belongs to someone else
    return True
