"""What each function loads on its cold path: the notify function never loads the intake package or jsonschema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nimport json; print(json.dumps(sorted(sys.modules)))"
    env = {
        **os.environ,
        "LETTERBOX_BUCKET": "bucket",
        "LETTERBOX_CAPTCHA": "off",
        "LETTERBOX_SENDER": "letterbox@example.org",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_importing_the_app_creates_nothing_and_loads_neither_side() -> None:
    modules = loaded_after("import app")

    assert "chalicelib.runtime" in modules
    assert not {name for name in modules if name.startswith(("chalicelib.intake", "chalicelib.notify"))}
    assert "jsonschema" not in modules


def test_the_notify_function_never_reaches_the_intake_package_or_jsonschema() -> None:
    event = json.dumps({"Records": []})
    modules = loaded_after(
        f"import app, json\napp.notify(json.loads({event!r}), None)\nfrom chalicelib import runtime\nruntime.notifier()"
    )

    assert "chalicelib.notify.notifier" in modules
    assert not {name for name in modules if name.startswith("chalicelib.intake")}
    assert "jsonschema" not in modules


def test_the_api_function_never_loads_the_notify_package() -> None:
    modules = loaded_after("import app\nfrom chalicelib import runtime\nruntime.api()\nruntime.submission_service()")

    assert "chalicelib.intake.api" in modules
    assert not {name for name in modules if name.startswith("chalicelib.notify")}


def test_the_api_side_builds_its_validators_when_it_starts_serving() -> None:
    modules = loaded_after("import app\nfrom chalicelib import runtime\nruntime.submission_service()")

    assert "jsonschema" in modules
