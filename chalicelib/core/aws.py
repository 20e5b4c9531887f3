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

# Short timeouts: a supporter waits on the other end. Three tries in all. A fixed User-Agent: botocore
# otherwise rebuilds its long one (SDK, OS, features) twice per request, a sixth of a warm call's CPU.
DEFAULT_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "total_max_attempts": 3},
    user_agent="letterbox",
)


def _new_session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def _session() -> botocore.session.Session:
    return _new_session()


# Declared by S3's endpoint rules but read by none of them (botocore issue 3528, fixed upstream in
# botocore PR 3692): passed on, they make the endpoint cache miss for every new object key.
UNUSED_S3_ENDPOINT_PARAMS = frozenset({"Key", "Prefix", "CopySource"})


def client(service: str, config: Config = DEFAULT_CONFIG) -> Any:
    made = _session().create_client(service, config=config)
    if service == "s3":
        _cache_endpoints_per_bucket(made)
    return made


def _cache_endpoints_per_bucket(s3: Any) -> None:
    """Resolve S3's endpoint once per bucket, not once per object: about a fifth of a warm call's CPU."""
    resolver: Any = getattr(s3, "_ruleset_resolver", None)
    provider_params = getattr(resolver, "_get_provider_params", None)
    if provider_params is None:  # a botocore without endpoint rules: nothing to trim
        return

    def trimmed(*args: Any, **kwargs: Any) -> dict[str, Any]:
        params: dict[str, Any] = provider_params(*args, **kwargs)
        return {name: value for name, value in params.items() if name not in UNUSED_S3_ENDPOINT_PARAMS}

    resolver._get_provider_params = trimmed


def forget() -> None:
    """Drop the session, so the next client reads the environment again (tests)."""
    _session.cache_clear()
