"""The running service, built once per process on first use.

Importing app.py builds nothing: no settings read, no AWS client created.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import boto3
import urllib3
from botocore.config import Config

from .captcha import CaptchaVerifier
from .forms import FormRegistry
from .settings import Settings
from .storage import SubmissionStore
from .submissions import SubmissionService

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Short timeouts: a supporter waits on the other end.
AWS_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


@functools.cache
def settings() -> Settings:
    return Settings.from_env()


@functools.cache
def forms() -> FormRegistry:
    return FormRegistry.load()


@functools.cache
def s3_client() -> S3Client:
    return boto3.client("s3", config=AWS_CONFIG)


@functools.cache
def submission_service() -> SubmissionService:
    config = settings()
    verifier = None
    if config.captcha_enabled:
        verifier = CaptchaVerifier(
            urllib3.PoolManager(),
            config.hcaptcha_verify_url,
            config.hcaptcha_secret,
            config.hcaptcha_sitekey,
            config.hcaptcha_timeout,
        )
    return SubmissionService(config, forms(), SubmissionStore(s3_client(), config.bucket), verifier)


def reset() -> None:
    """Forget everything built, so the next use reads the environment again (tests, reloads)."""
    for cached in (settings, forms, s3_client, submission_service):
        cached.cache_clear()
