"""Describing an unexpected error for the log without what a supporter typed.

An exception's message can quote the data it choked on, so only its type and
where it was raised are logged, never its message or the frames' values.
"""

from __future__ import annotations

import traceback
from pathlib import Path


def error_summary(error: BaseException, depth: int = 6) -> str:
    frames = traceback.extract_tb(error.__traceback__)[-depth:]
    where = " <- ".join(f"{Path(frame.filename).name}:{frame.lineno} {frame.name}" for frame in reversed(frames))
    return f"{type(error).__name__} at {where}" if where else type(error).__name__
