"""embed/letterbox-age.js is committed (organizers copy embed/ to their site): it must be what make builds now."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "embed" / "letterbox-age.js"


def test_the_committed_age_bundle_is_built_from_the_pinned_packages(tmp_path: Path) -> None:
    rebuilt = tmp_path / "letterbox-age.js"

    subprocess.run(
        [str(ROOT / "scripts" / "build-age-bundle"), str(rebuilt)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )

    assert rebuilt.read_bytes() == BUNDLE.read_bytes(), "run make embed/letterbox-age.js and commit the result"
    assert BUNDLE.read_bytes().startswith(b"/* letterbox-age.js: age encryption in the browser")
