"""The built browser files are committed (organizers copy embed/ to their site): each must be what make builds now."""

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


EMBED_SCRIPTS = ("letterbox.js", "letterbox-files.js", "letterbox-wall.js")


def test_the_committed_embed_scripts_are_built_from_their_sources(tmp_path: Path) -> None:
    """A site serves embed/letterbox*.js; people read and change embed/src/: the two must not drift apart."""
    subprocess.run(
        [str(ROOT / "scripts" / "build-embed"), str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )

    for name in EMBED_SCRIPTS:
        built = (ROOT / "embed" / name).read_bytes()
        assert (tmp_path / name).read_bytes() == built, "run make embed and commit the result"
        assert built.startswith(f"/* {name}: built by make embed from embed/src/{name}".encode())
