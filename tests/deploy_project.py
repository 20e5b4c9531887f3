"""A pytest plugin with one fixture, `project`: a copy of .chalice/config.json and infra/template.yaml to deploy from.

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
    return tmp_path
