"""Bytecode in the deployment package, compiled by the Lambda runtime's own Python when this machine has it.

Lambda's /var/task is read-only and Chalice ships sources only, so every cold start compiles each
module it imports (the app, chalice, jsonschema and the rest): about a quarter of the API's cold
start. A .pyc is valid only for the interpreter version that wrote it, so it is added only when a
Python of the runtime's version (python3.12 for the python3.12 runtime) is on PATH, or runs this.
Otherwise the package ships as Chalice builds it, and the deploy says what an install would save.

The .pyc are checked-hash (PEP 552): Python compares each with its source's hash, so one left
stale by a later change (Chalice's `inject_latest_app` replaces app.py and chalicelib/ in a cached
package) is never used; it is recompiled in memory, as without bytecode.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PYCACHE = "__pycache__/"
COMPILE_TIMEOUT = 600


def runtime_python(runtime: str) -> str | None:
    """The interpreter that writes bytecode for the runtime (python3.12 -> a Python 3.12), if there is one."""
    version = runtime.removeprefix("python")
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return sys.executable
    found = shutil.which(f"python{version}")
    # A version manager's shim is on PATH whether or not it can run that version: ask it.
    return found if found is not None and _version_of(found) == version else None


def _version_of(python: str) -> str | None:
    try:
        done = subprocess.run(  # noqa: S603 (an interpreter found on PATH, arguments built here)
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def add_bytecode(package: Path, python: str) -> int:
    """Every .py of the zip compiled by `python` and added beside it; how many .pyc it now holds."""
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        sources = [name for name in names if name.endswith(".py")]
        with tempfile.TemporaryDirectory(prefix="letterbox-bytecode-") as tmp:
            archive.extractall(tmp, members=sources)
            done = subprocess.run(  # noqa: S603 (an interpreter found on PATH, arguments built here)
                [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "checked-hash", tmp],
                capture_output=True,
                text=True,
                timeout=COMPILE_TIMEOUT,
                check=False,
            )
            # 1: some file did not compile (it would not import either); the others are written all the same.
            if done.returncode not in (0, 1):
                raise RuntimeError(f"{python} -m compileall failed ({done.returncode}): {done.stderr[-2000:]}")
            compiled = sorted(path for path in Path(tmp).rglob("*.pyc"))
            if any(PYCACHE in name for name in names):
                _drop_bytecode(package)  # an earlier run's: written again below, from the sources as they are now
            with zipfile.ZipFile(package, "a", zipfile.ZIP_DEFLATED) as out:
                for path in compiled:
                    out.write(path, path.relative_to(tmp).as_posix())
    return len(compiled)


def _drop_bytecode(package: Path) -> None:
    kept = package.with_suffix(".tmp.zip")
    with zipfile.ZipFile(package) as archive, zipfile.ZipFile(kept, "w", zipfile.ZIP_DEFLATED) as out:
        for info in archive.infolist():
            if PYCACHE not in info.filename:
                out.writestr(info, archive.read(info))
    kept.replace(package)
