"""AWS clients, made with botocore directly.

boto3 adds nothing the functions use, but importing it (s3transfer and all) costs
about 100 ms of every cold start. botocore reads the same environment: credentials,
region, and AWS_ENDPOINT_URL (how the local stack points the code at its emulator).
"""

from __future__ import annotations

import functools
from typing import Any

import botocore.session
from botocore.config import Config

# Short timeouts: a supporter waits on the other end. Three tries in all.
DEFAULT_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 3})


def _new_session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def _session() -> botocore.session.Session:
    return _new_session()


def client(service: str, config: Config = DEFAULT_CONFIG) -> Any:
    return _session().create_client(service, config=config)


def forget() -> None:
    """Drop the session, so the next client reads the environment again (tests)."""
    _session.cache_clear()
