"""The command lines: `python -m deploy` (deploy/cli.py), the chalice wrapper (deploy/chalice_cli.py) and the
make targets that call them.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from deploy import chalice_cli
from deploy.cli import main
from tests.deploy_fakes import REGION, ROOT

# The `project` fixture: a copy of the files `make deploy` reads and writes.
pytest_plugins = ["tests.deploy_project"]


def test_the_command_line_reports_a_missing_setting_and_fails(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["deploy", "--stage", "prod", "--region", REGION, "--project-dir", str(project)], env={})

    assert code == 1
    assert "no sender address" in capsys.readouterr().err


def test_chalice_is_told_the_runtimes_python_version_for_binary_wheels() -> None:
    download = ["--only-binary=:all:", "--no-deps", "--abi", "cp312", "--dest", "d", "rpds-py==1"]
    assert chalice_cli.pip_arguments("download", download) == ["--python-version", "3.12", *download]
    assert chalice_cli.pip_arguments("download", ["-r", "requirements.txt"]) == ["-r", "requirements.txt"]
    assert chalice_cli.pip_arguments("wheel", ["--abi", "cp312"]) == ["--abi", "cp312"]


def test_the_lambda_runtime_is_one_chalice_can_build_for() -> None:
    assert chalice_cli.lambda_runtime({}) == "python3.12"
    assert chalice_cli.lambda_runtime({"LETTERBOX_LAMBDA_RUNTIME": "python3.13"}) == "python3.13"
    with pytest.raises(SystemExit, match=r"python3\.99"):
        chalice_cli.lambda_runtime({"LETTERBOX_LAMBDA_RUNTIME": "python3.99"})


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["deploy"], "-m deploy deploy --stage prod"),
        (["deploy", "STAGE=staging"], "-m deploy deploy --stage staging"),
        (["deploy", "ARGS=--retention-days 365"], "-m deploy deploy --stage prod --retention-days 365"),
        (["destroy"], "-m deploy destroy --stage prod "),
        (["destroy", "DELETE_DATA=1"], "-m deploy destroy --stage prod --delete-data"),
    ],
)
def test_make_targets(arguments: list[str], expected: str) -> None:
    make = shutil.which("make")
    assert make is not None, "make is missing: run scripts/system-packages"
    result = subprocess.run([make, "-n", *arguments], cwd=ROOT, capture_output=True, text=True, check=True)
    assert expected in result.stdout
