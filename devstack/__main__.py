"""`make dev`: run letterbox locally, offline. Ctrl-C stops all of it."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

from .stack import LocalStack, Ports


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # The emulator's access log would print every key; the API prints one line per submission.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("botocore").setLevel(logging.WARNING)
    stack = LocalStack(Ports.from_env(os.environ))
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stack.start()
        print(banner(stack), flush=True)
        stopped.wait()
    except KeyboardInterrupt:
        pass
    except (OSError, RuntimeError) as error:
        print(f"letterbox: could not start: {error}", file=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C must not cut the shutdown short and leave servers behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("\nstopping...", flush=True)
        stack.stop()
    return 0


def banner(stack: LocalStack) -> str:
    return "\n".join(
        [
            "",
            "letterbox is running locally (offline). Ctrl-C stops it.",
            f"  API            {stack.api_url}   (try {stack.api_url}/forms)",
            f"  local AWS      {stack.aws_url}   (moto; bucket {stack.outputs['BucketName']})",
            f"  allowed pages  {' '.join(stack.demo_origins)}",
            f"  demo site      {stack.demo_origins[0]}/   (the forms on static pages; emails at /outbox/)",
            f"  outbox         {stack.outbox}   (every email the worker sent, as .eml)",
            "",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
