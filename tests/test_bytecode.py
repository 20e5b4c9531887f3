"""The deploy adds the runtime's bytecode to the package: a cold start then loads modules instead of compiling them.

This interpreter stands in for the runtime's (a .pyc is valid only for the version that wrote it);
deploy/chalice_cli.py picks python3.12 for the python3.12 runtime.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from deploy.bytecode import add_bytecode, runtime_python

TAG = sys.implementation.cache_tag  # cpython-311 here
MODULES = {
    "app.py": "import helper\nVALUE = helper.VALUE\n",
    "helper.py": "VALUE = 1\n",
    "pkg/__init__.py": "",
    "pkg/inner.py": "NAME = 'inner'\n",
}


@pytest.fixture
def package(tmp_path: Path) -> Path:
    path = tmp_path / "deployment.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, source in MODULES.items():
            archive.writestr(name, source)
        archive.writestr("schemas/form.json", "{}")
    return path


def loaded_from(directory: Path, code: str) -> tuple[str, str]:
    """What `python -v` says it loaded, and what the code printed, with bytecode writing off (as on Lambda)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(directory)}
    done = subprocess.run(
        [sys.executable, "-v", "-c", code], cwd=directory, env=env, capture_output=True, text=True, check=True
    )
    return done.stderr, done.stdout


def test_every_module_gets_checked_bytecode_next_to_it(package: Path) -> None:
    added = add_bytecode(package, sys.executable)

    names = set(zipfile.ZipFile(package).namelist())
    expected = {
        f"__pycache__/app.{TAG}.pyc",
        f"__pycache__/helper.{TAG}.pyc",
        f"pkg/__pycache__/__init__.{TAG}.pyc",
        f"pkg/__pycache__/inner.{TAG}.pyc",
    }
    assert added == 4
    assert expected <= names
    assert set(MODULES) | {"schemas/form.json"} <= names  # the sources stay: tracebacks and checked hashes need them
    flags = int.from_bytes(zipfile.ZipFile(package).read(f"__pycache__/app.{TAG}.pyc")[4:8], "little")
    assert flags == 0b11  # PEP 552: hash-based, checked against the source


def test_a_cold_start_loads_the_bytecode_instead_of_compiling(package: Path, tmp_path: Path) -> None:
    add_bytecode(package, sys.executable)
    extracted = tmp_path / "task"
    zipfile.ZipFile(package).extractall(extracted)

    log, printed = loaded_from(extracted, "import app, pkg.inner; print(app.VALUE, pkg.inner.NAME)")

    assert printed.split() == ["1", "inner"]
    for module in ("app", "helper", "pkg/__init__", "pkg/inner"):
        folder, _, name = module.rpartition("/")
        pyc = extracted / folder / "__pycache__" / f"{name}.{TAG}.pyc"
        assert f"code object from '{pyc}'" in log, module


def test_bytecode_left_stale_by_a_changed_source_is_never_used(package: Path, tmp_path: Path) -> None:
    # Chalice's inject_latest_app replaces app.py and chalicelib/ in a package it keeps: the old .pyc must not win.
    add_bytecode(package, sys.executable)
    extracted = tmp_path / "task"
    zipfile.ZipFile(package).extractall(extracted)
    (extracted / "helper.py").write_text("VALUE = 2\n")

    _, printed = loaded_from(extracted, "import app; print(app.VALUE)")

    assert printed.split() == ["2"]


def test_compiling_again_replaces_the_bytecode_rather_than_adding_a_second_copy(package: Path) -> None:
    add_bytecode(package, sys.executable)
    add_bytecode(package, sys.executable)

    names = zipfile.ZipFile(package).namelist()
    assert len(names) == len(set(names))
    assert sum(name.endswith(".pyc") for name in names) == 4


def test_the_runtimes_python_is_this_one_when_versions_match_and_none_when_absent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    here = f"python{sys.version_info.major}.{sys.version_info.minor}"
    monkeypatch.setenv("PATH", "/nonexistent")

    assert runtime_python(here) == sys.executable
    assert runtime_python("python3.99") is None


@pytest.mark.parametrize(
    ("script", "found"),
    [
        ("#!/bin/sh\necho 3.99\n", True),
        ("#!/bin/sh\necho 'pyenv: python3.99: command not found' >&2\nexit 127\n", False),  # a shim, no 3.99
        ("#!/bin/sh\necho 3.98\n", False),
    ],
    ids=["runs", "shim-without-the-version", "another-version"],
)
def test_a_python_on_path_is_used_only_if_it_runs_the_runtimes_version(
    script: str, found: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    python = tmp_path / "python3.99"
    python.write_text(script)
    python.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))

    assert runtime_python("python3.99") == (str(python) if found else None)
