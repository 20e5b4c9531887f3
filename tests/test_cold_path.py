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


def test_without_a_digest_form_neither_function_loads_zoneinfo() -> None:
    # zoneinfo (and the sysconfig it reads) cost each cold start a few ms; only digests need it.
    notify = loaded_after(
        "import app\napp.notify({'Records': []}, None)\nfrom chalicelib import runtime\nruntime.notifier()"
    )
    api = loaded_after("import app\nfrom chalicelib import runtime\nruntime.api()\nruntime.submission_service()")

    assert "chalicelib.notify.notifier" in notify
    assert "chalicelib.intake.api" in api
    assert "zoneinfo" not in notify | api


def test_the_api_side_builds_its_validators_when_it_starts_serving() -> None:
    modules = loaded_after("import app\nfrom chalicelib import runtime\nruntime.submission_service()")

    assert "jsonschema" in modules


PLAIN_RECORD = (
    "from chalicelib.core.record import SubmissionRecord\n"
    "record = SubmissionRecord(id='01KAX3Z8W6V1R2F7D9QH0M4N5P', form='action-report', schema_version='x',"
    " received_at='2026-11-14T18:03:12.345Z', data={'city': 'Berlin'})\n"
)


# The API's store, standing in for S3: the probe stores a plain form's submission as the API does.
STORING = (
    "from datetime import UTC, datetime\n"
    "class Store:\n"
    "    def put(self, record, retry_tag=''): self.record = record\n"
    "store = Store()\n"
    "service = runtime.submission_service()\n"
    "service._store = store\n"
    "form = runtime.forms().get('action-report')\n"
    "assert service._store_record(form, record.id, datetime.now(UTC), dict(record.data), [])\n"
    "assert not store.record.is_encrypted\n"
)


def test_a_submission_loads_neither_the_wall_nor_the_review_link_nor_the_uploads() -> None:
    # Each is compiled at a packaged cold start (Lambda keeps no bytecode): only its own routes pay for it.
    modules = loaded_after(f"import app\nfrom chalicelib import runtime\nruntime.api()\n{PLAIN_RECORD}{STORING}")

    assert "chalicelib.intake.submissions" in modules
    unwanted = {
        "chalicelib.intake.review",
        "chalicelib.intake.wall_api",
        "chalicelib.intake.uploads",
        "chalicelib.core.wall_store",
        "chalicelib.core.wall_pages",
    }
    assert not unwanted & modules
    assert "chalicelib.intake.embed_texts" not in modules  # the form definition's texts: GET /forms/{form} only


def test_a_form_that_does_not_encrypt_never_loads_pyrage() -> None:
    modules = loaded_after(
        "import app\nfrom chalicelib import runtime\nruntime.api()\nruntime.notifier()\n"
        f"{PLAIN_RECORD}{STORING}"
        "from chalicelib.notify.rendering import render_notification\n"
        "from chalicelib.notify.s3_events import StoredObject\n"
        "options = runtime.settings().options_for('action-report')\n"
        "render_notification(store.record, StoredObject('b', 'k'), form, options,"
        " 'letterbox@example.org', ['o@example.org'])"
    )

    assert "chalicelib.notify.rendering" in modules
    assert "chalicelib.intake.submissions" in modules
    assert "pyrage" not in modules


def test_a_form_that_encrypts_loads_pyrage_when_it_seals() -> None:
    recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
    modules = loaded_after(
        f"{PLAIN_RECORD}"
        "from chalicelib.core.form_choices import FormOptions\n"
        "from chalicelib.core.sealing import sealed_record\n"
        f"assert sealed_record(record, FormOptions(encrypt_to=({recipient!r},))).is_encrypted"
    )

    assert "pyrage" in modules


def test_a_form_without_altcha_never_loads_the_altcha_package() -> None:
    modules = loaded_after(
        "import app\nfrom chalicelib import runtime\nruntime.api()\nruntime.submission_service()\n"
        f"{PLAIN_RECORD}{STORING}"
    )

    assert "chalicelib.intake.submissions" in modules
    assert "altcha" not in modules


def test_the_altcha_package_loads_when_a_challenge_is_made() -> None:
    modules = loaded_after(
        "from chalicelib.intake.altcha_challenges import AltchaChallenges\n"
        "assert AltchaChallenges(lambda: bytes(32)).issue('action-report', 10)['signature']"
    )

    assert "altcha" in modules
