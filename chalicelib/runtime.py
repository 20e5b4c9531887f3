"""The running service, built once per process on first use.

Importing app.py builds nothing: no settings read, no AWS client created.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

import urllib3
from botocore.config import Config

from chalicelib.core import aws
from chalicelib.core.attachments import AttachmentStore
from chalicelib.core.forms import FormRegistry
from chalicelib.core.settings import ConfigError, Settings
from chalicelib.core.ssm_secrets import with_secrets
from chalicelib.core.storage import SubmissionStore
from chalicelib.intake.captcha import CaptchaVerifier
from chalicelib.intake.submissions import SubmissionService
from chalicelib.intake.uploads import UploadService
from chalicelib.notify.batch import BatchSettler
from chalicelib.notify.mailer import SesMailer
from chalicelib.notify.notifier import Notifier

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sqs import SQSClient


@functools.cache
def settings() -> Settings:
    return Settings.from_env(with_secrets(os.environ))


@functools.cache
def forms() -> FormRegistry:
    # Validators are built by submission_service(): the notify function needs labels, not jsonschema.
    return FormRegistry.load(validators=False)


@functools.cache
def s3_client() -> S3Client:
    # SigV4 for presigned URLs and POSTs: what every region accepts, and up to 7 days.
    s3: S3Client = aws.client("s3", aws.DEFAULT_CONFIG.merge(Config(signature_version="s3v4")))
    return s3


@functools.cache
def ses_client() -> SESV2Client:
    ses: SESV2Client = aws.client("sesv2")
    return ses


@functools.cache
def sqs_client() -> SQSClient:
    sqs: SQSClient = aws.client("sqs")
    return sqs


@functools.cache
def mailer() -> SesMailer:
    sender = settings().sender
    if not sender:
        raise ConfigError("LETTERBOX_SENDER is not set: the verified address emails are sent from")
    return SesMailer(ses_client(), sender)


@functools.cache
def notifier() -> Notifier:
    return Notifier(s3_client(), settings(), forms(), mailer(), attachment_store())


@functools.cache
def batch_settler() -> BatchSettler:
    return BatchSettler(sqs_client, settings().retry_delay_seconds)


@functools.cache
def submission_service() -> SubmissionService:
    config = settings()
    verifier = None
    if config.hcaptcha_secret and config.hcaptcha_sitekey:
        verifier = CaptchaVerifier(
            urllib3.PoolManager(),
            config.hcaptcha_verify_url,
            config.hcaptcha_secret,
            config.hcaptcha_sitekey,
            config.hcaptcha_timeout,
        )
    store = SubmissionStore(s3_client(), config.bucket)
    return SubmissionService(config, forms().with_validators(), store, verifier, attachment_store())


@functools.cache
def attachment_store() -> AttachmentStore:
    return AttachmentStore(s3_client(), settings().bucket)


@functools.cache
def upload_service() -> UploadService:
    return UploadService(settings(), forms(), attachment_store())


def reset() -> None:
    """Forget everything built, so the next use reads the environment again (tests, reloads)."""
    cached_getters = (settings, forms, s3_client, ses_client, sqs_client, mailer, notifier, batch_settler)
    for cached in (*cached_getters, attachment_store, upload_service, submission_service):
        cached.cache_clear()
    aws.forget()
