"""A program run on a slower CPU: every process it starts held to a share of this machine's CPU time.

Chromium's CDP CPU throttling slows a page's own script only; the browser's native work (WebCrypto's
PBKDF2, which ALTCHA's widget solves with) runs at full speed under it. A cgroup's CPU quota holds
back every thread of every process in the group, native code included: with a quota of nproc/RATE
CPUs, each core the program keeps busy runs about RATE times slower on average.

Needs a cgroup the bench may create (root, as in CI): cgroup v1's cpu controller
(cpu.cfs_quota_us) or cgroup v2 with the cpu controller enabled for children (cpu.max).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from pathlib import Path
from types import TracebackType

PERIOD_US = 100_000
V1_ROOT = Path("/sys/fs/cgroup/cpu")
V2_ROOT = Path("/sys/fs/cgroup")


class CpuLimitUnavailable(RuntimeError):
    """No cgroup could be made here: the figure cannot be measured on this machine."""


class CpuLimit:
    """A cgroup with a CPU quota, and a launcher that runs a program inside it.

    with CpuLimit(4) as limit:
        subprocess.run([limit.launcher(Path("/usr/bin/chromium")), ...])
    """

    def __init__(self, rate: float) -> None:
        if rate < 1:
            raise ValueError("the rate is how many times slower: 1 or more")
        self.rate = rate
        self.cpus = os.cpu_count() or 1
        self._group: Path | None = None
        self._scripts = Path(tempfile.mkdtemp(prefix="letterbox-cpu-limit-"))

    def __enter__(self) -> CpuLimit:
        quota = int(PERIOD_US * self.cpus / self.rate)
        name = f"letterbox-bench-{os.getpid()}"
        try:
            if (V1_ROOT / "cpu.cfs_quota_us").exists():
                self._group = V1_ROOT / name
                self._group.mkdir()
                (self._group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
                (self._group / "cpu.cfs_quota_us").write_text(str(quota))
            elif "cpu" in (V2_ROOT / "cgroup.subtree_control").read_text().split():
                self._group = V2_ROOT / name
                self._group.mkdir()
                (self._group / "cpu.max").write_text(f"{quota} {PERIOD_US}")
            else:
                raise CpuLimitUnavailable("cgroup v2 without the cpu controller enabled for child groups")
        except OSError as error:
            self._remove()
            raise CpuLimitUnavailable(f"cannot make a cgroup with a CPU quota ({error}): run as root") from None
        return self

    def launcher(self, program: Path) -> Path:
        """A script that joins the group, then becomes the program: its children are born in the group."""
        if self._group is None:
            raise RuntimeError("enter the CpuLimit first")
        script = self._scripts / program.name
        script.write_text(f'#!/bin/sh\necho $$ > {self._group / "cgroup.procs"}\nexec {program} "$@"\n')
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        return script

    def throttled_us(self) -> int:
        """How long the group was held back in all (v1 throttled_time ns, v2 throttled_usec)."""
        if self._group is None:
            return 0
        fields = dict(line.split() for line in (self._group / "cpu.stat").read_text().splitlines())
        if "throttled_usec" in fields:
            return int(fields["throttled_usec"])
        return int(fields.get("throttled_time", 0)) // 1000

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._remove()

    def _remove(self) -> None:
        shutil.rmtree(self._scripts, ignore_errors=True)
        if self._group is not None and self._group.exists():
            with contextlib.suppress(OSError):  # left behind only if a process of it outlived the bench
                self._group.rmdir()
            self._group = None
