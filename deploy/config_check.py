"""letterbox.toml at deploy: checked before any AWS call, exactly as the deployed functions will read it.

`chalice package`/`deploy` ship the project's letterbox.toml (vendor/letterbox.toml links to it), and
the functions find it next to app.py. So the deploy checks that file, with the project's forms
(schemas/*.json), under the variables the stage will carry (LETTERBOX_ORIGINS, ... override a key
for every form); and it takes from the result what the infra stack needs: every origin any form
allows (the bucket's CORS rule for uploads) and every organizer (the dead-letter alarm's subscribers).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from chalicelib.core import config_file
from chalicelib.core.config_file import ConfigFile
from chalicelib.core.config_keys import ConfigError
from chalicelib.core.form_choices import FormChoices


def form_names(project_dir: Path) -> frozenset[str]:
    """The project's forms: one schema file each, as the functions will find them."""
    return frozenset(path.stem for path in (project_dir / "schemas").glob("*.json"))


def project_config(project_dir: Path) -> ConfigFile:
    """The project's letterbox.toml, checked against its forms; no file is no file (every key its default)."""
    forms = form_names(project_dir)
    path = project_dir / config_file.DEFAULT_NAME
    shipped = project_dir / "vendor" / config_file.DEFAULT_NAME
    try:
        config = config_file.load(path, forms=forms)
    except FileNotFoundError:
        return config_file.NO_FILE
    if not shipped.exists() or shipped.resolve() != path.resolve():
        raise ConfigError(
            f"vendor/{config_file.DEFAULT_NAME} must link to ../{config_file.DEFAULT_NAME}: it is how it ships"
        )
    return config


def stage_choices(project_dir: Path, stage: str, variables: Mapping[str, str]) -> FormChoices:
    """Every form's options in `stage`, as deployed; `variables` are the LETTERBOX_* the stage's functions get.

    Raises ConfigError (file, line, key, what is expected) for a wrong file or variable.
    """
    if variables.get("LETTERBOX_CONFIG", "").strip():
        raise ConfigError(
            "LETTERBOX_CONFIG is for local runs: a deployed stage reads the letterbox.toml it ships, edit that one"
        )
    env = {**variables, "LETTERBOX_STAGE": stage}
    return FormChoices.from_env(
        env, config=project_config(project_dir), form_names=form_names(project_dir), schemas_dir=project_dir / "schemas"
    )
