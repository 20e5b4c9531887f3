"""`make dev` shows ALTCHA on some forms (letter-copy): the configuration file, with those forms of the stage
switched to `captcha = "altcha"`, written to a file of the local stack's own (LETTERBOX_CONFIG).

A form whose table the file already has keeps what the file says: the organizer's choice wins.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection
from pathlib import Path


def altcha_config(base: Path, forms: Collection[str], stage: str, directory: Path) -> Path:
    """The file to read instead of `base`: the same, plus one `[stages.STAGE.forms.NAME]` table per form."""
    text = base.read_text(encoding="utf-8") if base.exists() else ""
    named = tomllib.loads(text).get("stages", {}).get(stage, {}).get("forms", {})
    tables = "".join(
        f'\n# Added by devstack for `make dev`.\n[stages.{stage}.forms.{form}]\ncaptcha = "altcha"\n'
        for form in sorted(forms)
        if form not in named
    )
    path = directory / "letterbox.toml"
    path.write_text(text + tables, encoding="utf-8")
    return path
