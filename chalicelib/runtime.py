"""The running service, built once per process on first use.

Importing app.py builds nothing: no settings read, no AWS client created. Each getter imports
what it builds, so the notify function never loads the intake package (nor jsonschema), and
the API function loads the notify package only if it ever needs it.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib.core import aws
from chalicelib.core.settings import ConfigError, Settings
from chalicelib.core.ssm_secrets import with_secrets

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient

    from chalicelib.core.attachments import AttachmentStore
    from chalicelib.core.forms import FormRegistry
    from chalicelib.core.signing_keys import SigningKeys
    from chalicelib.intake.altcha_challenges import AltchaChallenges
    from chalicelib.intake.api import HttpApi
    from chalicelib.intake.review import ReviewService
    from chalicelib.intake.submissions import SubmissionService
    from chalicelib.intake.uploads import UploadService
    from chalicelib.intake.wall_api import WallReader
    from chalicelib.notify.batch import BatchSettler
    from chalicelib.notify.digest import DigestSender
    from chalicelib.notify.digest_schedule import DigestScheduler
    from chalicelib.notify.mailer import SesMailer
    from chalicelib.notify.notifier import Notifier

Built = TypeVar("Built")
# Every getter below, in the order they were defined: reset() forgets them all.
_GETTERS: list[functools._lru_cache_wrapper[Any]] = []


def _built_once(getter: Callable[[], Built]) -> Callable[[], Built]:
    cached = functools.cache(getter)
    _GETTERS.append(cached)
    # Threads of `make dev`'s API that arrive together on a cold process build each piece once, not
    # each their own copy (50 schema compilers and S3 clients at once took past a client's timeout).
    lock = threading.Lock()

    @functools.wraps(getter)
    def built() -> Built:
        with lock:
            return cached()

    return built


@_built_once
def settings() -> Settings:
    return Settings.from_env(with_secrets(os.environ))


@_built_once
def forms() -> FormRegistry:
    from chalicelib.core.forms import FormRegistry

    # Validators are built by submission_service(): the notify function needs labels, not jsonschema.
    return FormRegistry.load(validators=False)


@_built_once
def s3_client() -> S3Client:
    from botocore.config import Config

    # SigV4 for presigned URLs and POSTs: what every region accepts, and up to 7 days.
    s3: S3Client = aws.client("s3", aws.DEFAULT_CONFIG.merge(Config(signature_version="s3v4")))
    return s3


@_built_once
def ses_client() -> SESV2Client:
    ses: SESV2Client = aws.client("sesv2")
    return ses


@_built_once
def sqs_client() -> SQSClient:
    sqs: SQSClient = aws.client("sqs")
    return sqs


@_built_once
def ssm_client() -> SSMClient:
    ssm: SSMClient = aws.client("ssm")
    return ssm


@_built_once
def signing_keys() -> SigningKeys:
    from chalicelib.core.signing_keys import SigningKeys

    return SigningKeys(settings().signing_key_parameter, ssm_client)


@_built_once
def attachment_store() -> AttachmentStore:
    from chalicelib.core.attachments import AttachmentStore

    return AttachmentStore(s3_client(), settings().bucket)


# The API function ------------------------------------------------------------------------------


@_built_once
def api() -> HttpApi:
    from chalicelib.intake.api import HttpApi, Services

    return HttpApi(
        Services(settings, forms, submission_service, upload_service, wall_reader, review_service, altcha_challenges)
    )


@_built_once
def altcha_challenges() -> AltchaChallenges:
    """Light until used: the altcha package loads on a form's first challenge or solution, the key with it."""
    from chalicelib.core.signing_keys import derived_key
    from chalicelib.intake.altcha_challenges import AltchaChallenges

    return AltchaChallenges(functools.partial(derived_key, "altcha"))


@_built_once
def submission_service() -> SubmissionService:
    import urllib3

    from chalicelib.core.storage import SubmissionStore
    from chalicelib.intake.captcha import CaptchaVerifier
    from chalicelib.intake.single_use import SingleUse
    from chalicelib.intake.submissions import SubmissionService

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
    single_use = SingleUse(altcha_challenges(), store)
    return SubmissionService(
        config, forms().with_validators(), store, verifier, attachment_store(), single_use=single_use
    )


@_built_once
def upload_service() -> UploadService:
    from chalicelib.intake.uploads import UploadService

    return UploadService(settings(), forms(), attachment_store())


@_built_once
def wall_reader() -> WallReader:
    from chalicelib.intake.wall_api import WallReader

    return WallReader(s3_client(), settings().bucket, forms())


@_built_once
def review_service() -> ReviewService:
    from chalicelib.intake.review import ReviewService

    return ReviewService(settings(), forms(), s3_client())


# The notify function ---------------------------------------------------------------------------


def handle_notify_batch(records: Sequence[Mapping[str, Any]]) -> None:
    """One Lambda SQS event's records: notify each, then settle the batch record by record."""
    from chalicelib.notify.batch import QueueRecord, process_batch

    result = process_batch([QueueRecord.from_lambda(record) for record in records], notifier(), digest_sender)
    batch_settler().settle(result)


@_built_once
def mailer() -> SesMailer:
    from chalicelib.notify.mailer import SendPacer, SesMailer

    config = settings()
    if not config.sender:
        raise ConfigError("LETTERBOX_SENDER is not set: the verified address emails are sent from")
    return SesMailer(ses_client(), config.sender, SendPacer.for_rate(config.send_rate, config.notify_concurrency))


@_built_once
def notifier() -> Notifier:
    from chalicelib.notify.markers import MarkerStore
    from chalicelib.notify.notifier import Notifier
    from chalicelib.notify.wall_note import ReviewLinks

    markers = MarkerStore(s3_client(), settings().bucket)
    links = ReviewLinks(settings().api_url, settings().stage)
    return Notifier(s3_client(), settings(), forms(), mailer(), attachment_store(), markers, links)


@_built_once
def digest_sender() -> DigestSender:
    from chalicelib.notify.digest import DigestSender
    from chalicelib.notify.markers import MarkerStore

    markers = MarkerStore(s3_client(), settings().bucket)
    return DigestSender(s3_client(), settings(), forms(), mailer(), markers)


@_built_once
def batch_settler() -> BatchSettler:
    from chalicelib.notify.batch import BatchSettler

    return BatchSettler(sqs_client, settings().retry_delay_seconds)


# The digest schedule function ------------------------------------------------------------------


def enqueue_due_digests(scheduled_at: str) -> int:
    """One scheduled run (at the time EventBridge gives, ISO 8601): queue the digests due; how many."""
    from datetime import UTC, datetime

    try:
        now = datetime.fromisoformat(scheduled_at).astimezone(UTC)
    except ValueError:
        now = datetime.now(UTC)  # not a time EventBridge writes: the clock will do
    return digest_scheduler().enqueue_due(now)


@_built_once
def digest_scheduler() -> DigestScheduler:
    """Light on purpose: letterbox.toml's digest keys and the queue, no Settings (no bucket, no captcha keys)."""
    from chalicelib.core.settings import DigestChoices, known_form_names
    from chalicelib.notify.digest_schedule import DigestScheduler

    env = os.environ
    # The infra template names the queue after the stage; the local stack and the tests name theirs.
    queue = env.get("LETTERBOX_NOTIFY_QUEUE", "").strip() or f"letterbox-{env.get('LETTERBOX_STAGE', 'dev')}-notify"
    forms = known_form_names()
    return DigestScheduler(sqs_client, queue, DigestChoices.from_env(env, form_names=forms), forms)


def reset() -> None:
    """Forget everything built, so the next use reads the environment again (tests, reloads)."""
    for cached in _GETTERS:
        cached.cache_clear()
    aws.forget()
