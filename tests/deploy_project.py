"""A pytest plugin with one fixture, `project`: a copy of the files `make deploy` reads, to deploy from.

.chalice/config.json, infra/template.yaml, the forms (schemas/) and letterbox.toml, shipped as the
repository ships it (vendor/letterbox.toml links to it).

A plugin (pytest_plugins) rather than an import: a test's parameter of the same name would shadow the import.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import TEMPLATE
from tests.deploy_fakes import ROOT


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".chalice").mkdir()
    shutil.copy2(ROOT / ".chalice" / "config.json", tmp_path / ".chalice" / "config.json")
    (tmp_path / "infra").mkdir()
    shutil.copy2(TEMPLATE, tmp_path / "infra" / "template.yaml")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    shutil.copy2(ROOT / "letterbox.toml", tmp_path / "letterbox.toml")
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "letterbox.toml").symlink_to("../letterbox.toml")
    return tmp_path
