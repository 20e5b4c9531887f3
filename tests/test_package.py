"""What `chalice package` builds is what AWS runs: it must hold the code and the schemas."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("package")
    chalice = Path(sys.executable).with_name("chalice")
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run(
        [str(chalice), "package", "--stage", "prod", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_the_deployment_package_holds_the_app_its_modules_and_every_schema(package_dir: Path) -> None:
    names = set(zipfile.ZipFile(package_dir / "deployment.zip").namelist())

    assert "app.py" in names
    modules = {path.relative_to(ROOT).as_posix() for path in (ROOT / "chalicelib").glob("*.py")}
    assert modules <= names
    schemas = {f"schemas/{path.name}" for path in (ROOT / "schemas").glob("*.json")}
    assert schemas
    assert schemas <= names


def test_the_packaged_schemas_are_the_repository_schemas(package_dir: Path) -> None:
    archive = zipfile.ZipFile(package_dir / "deployment.zip")
    for path in (ROOT / "schemas").glob("*.json"):
        assert archive.read(f"schemas/{path.name}") == path.read_bytes()


def test_the_package_carries_no_development_tooling(package_dir: Path) -> None:
    names = zipfile.ZipFile(package_dir / "deployment.zip").namelist()
    for unwanted in ("moto/", "devstack/", "tests/", "boto3/", "botocore/", "playwright/"):
        assert not any(name.startswith(unwanted) for name in names), unwanted
