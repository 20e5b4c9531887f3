"""The runtime builds each piece once, even when a crowd of threads asks a cold process at once."""

from __future__ import annotations

import threading
import time

from chalicelib import runtime


def test_threads_arriving_together_on_a_cold_getter_build_it_once() -> None:
    builds: list[int] = []

    @runtime._built_once
    def slow_piece() -> object:
        builds.append(1)
        time.sleep(0.05)  # long enough that every thread arrives while the first is still building
        return object()

    barrier = threading.Barrier(20)
    seen: list[object] = []

    def ask() -> None:
        barrier.wait()
        seen.append(slow_piece())

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert len(builds) == 1
        assert len(seen) == 20
        assert all(piece is seen[0] for piece in seen)
    finally:
        runtime._GETTERS.pop()  # this test's getter is not the runtime's


def test_reset_forgets_what_was_built() -> None:
    built = runtime._built_once(object)
    try:
        first = built()
        assert built() is first
        runtime.reset()
        assert built() is not first
    finally:
        runtime._GETTERS.pop()
