"""embed/altcha.js and its texts (altcha-ru.js, altcha-de.js, …) are committed (organizers copy embed/ to
their site): the pinned package's own."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIES = ("altcha.js", "altcha-ru.js", "altcha-de.js", "altcha-fr-fr.js", "altcha-es-es.js", "altcha-LICENSE.txt")


def test_the_committed_widget_is_the_pinned_packages(tmp_path: Path) -> None:
    subprocess.run([str(ROOT / "scripts" / "copy-altcha-widget"), str(tmp_path)], cwd=ROOT, check=True, timeout=60)

    for name in COPIES:
        assert (tmp_path / name).read_bytes() == (ROOT / "embed" / name).read_bytes(), f"run make embed/{name}"


def test_the_widget_is_pinned_to_the_version_the_api_was_checked_with() -> None:
    # 3.x speaks ALTCHA's PoW v2 (PBKDF2), as the altcha 2.x package on PyPI does: a real solve in Chromium
    # verifies (tests/browser/test_altcha.py). The 2.x widget speaks v1 and would not.
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["altcha"]
    installed = json.loads((ROOT / "node_modules" / "altcha" / "package.json").read_text())["version"]

    assert pinned == installed
    assert pinned.startswith("3.")
    assert "MIT License" in (ROOT / "embed" / "altcha-LICENSE.txt").read_text()
