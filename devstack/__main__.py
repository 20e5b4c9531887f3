"""`make dev`: run letterbox locally, offline. Ctrl-C stops all of it."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

import boto3

from chalicelib.core.form_choices import known_form_names
from chalicelib.core.settings import ConfigError

from .demo_wall import seed_demo_wall
from .stack import LocalStack, Ports, temporary_env


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # The emulator's access log would print every key; the API prints one line per submission.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("botocore").setLevel(logging.WARNING)
    # The letter copies on ALTCHA, the reports on hCaptcha's test keys: both captchas, side by side.
    stack = LocalStack(Ports.from_env(os.environ), altcha_forms=("letter-copy",))
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stack.start()
        with temporary_env(stack.aws_env()):
            samples = seed_demo_wall(boto3.client("s3"), stack.outputs["BucketName"])
        print(banner(stack, samples), flush=True)
        stopped.wait()
    except KeyboardInterrupt:
        pass
    except (OSError, RuntimeError, ConfigError) as error:
        print(f"letterbox: could not start: {error}", file=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C must not cut the shutdown short and leave servers behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("\nstopping...", flush=True)
        stack.stop()
    return 0


def banner(stack: LocalStack, wall_samples: int = 0) -> str:
    return "\n".join(
        [
            "",
            "letterbox is running locally (offline). Ctrl-C stops it.",
            f"  API            {stack.api_url}   (try {stack.api_url}/forms)",
            f"  local AWS      {stack.aws_url}   (moto; bucket {stack.outputs['BucketName']})",
            *allowed_pages(stack),
            f"  demo site      {stack.demo_origins[0]}/   (the forms on static pages; emails at /outbox/)",
            f"  demo wall      {stack.demo_origins[0]}/wall.html   ({wall_samples} sample entries; "
            "letterbox --local wall pending / approve ID adds yours)",
            f"  outbox         {stack.outbox}   (every email the worker sent, as .eml)",
            "",
        ]
    )


def allowed_pages(stack: LocalStack) -> list[str]:
    """Each form and the origins whose pages may post to it: what the API allows, not what we hoped."""
    choices = stack.choices
    if choices is None:
        return []
    overridden = " (LETTERBOX_ORIGINS overrides it)" if "LETTERBOX_ORIGINS" in choices.overridden_by else ""
    lines = [f"  allowed pages  from {choices.source}, stage {choices.stage}{overridden}; add a site there"]
    names = sorted(known_form_names() | set(choices.named))
    width = max((len(name) for name in names), default=0)
    for name in names:
        origins = choices.options_for(name).origins
        lines.append(f"    {name:<{width}}  {' '.join(origins) or '(none: no page may post to it)'}")
    return lines


if __name__ == "__main__":
    sys.exit(main())
