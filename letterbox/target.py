"""Where a command acts: the `make dev` stack or a deployed stage, and the AWS clients to reach it.

Both are a bucket, a notify queue and a dead-letter queue behind an endpoint; the code that
follows never asks which. A stage's names come from its CloudFormation stack's outputs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from deploy.stack import Stack, stack_name
from letterbox import devstate

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

# Enough connections for the reader's threads; the same retries as the functions use.
CLIENT_CONFIG = Config(max_pool_connections=32, retries={"mode": "standard", "total_max_attempts": 5})
REQUIRED_OUTPUTS = ("BucketName", "NotifyQueueUrl", "DeadLetterQueueUrl")
# The local AWS checks no signature; botocore only needs something to sign with.
LOCAL_CREDENTIAL = "local"


class TargetError(Exception):
    """The stack or stage cannot be found; the message says what to do."""


@dataclass(frozen=True)
class Target:
    label: str
    bucket: str
    notify_queue_url: str
    dead_letter_queue_url: str
    stage: str
    session: boto3.session.Session
    endpoint: str | None = None

    def _client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint, config=CLIENT_CONFIG)  # type: ignore[call-overload]

    @functools.cached_property
    def s3(self) -> S3Client:
        client: S3Client = self._client("s3")
        return client

    @functools.cached_property
    def sqs(self) -> SQSClient:
        client: SQSClient = self._client("sqs")
        return client


def local_target() -> Target:
    """The running `make dev` stack, from the state file it wrote."""
    path = devstate.state_path()
    state = devstate.read_state(path)
    if state is None:
        raise TargetError("the local stack is not running: start it with `make dev` (in another terminal)")
    if not devstate.process_alive(state.pid):
        raise TargetError(f"the local stack stopped without tidying up ({path}): start it again with `make dev`")
    session = boto3.session.Session(
        aws_access_key_id=LOCAL_CREDENTIAL,
        aws_secret_access_key=LOCAL_CREDENTIAL,
        aws_session_token=LOCAL_CREDENTIAL,
        region_name=state.region,
    )
    return Target(
        label="the local stack",
        bucket=state.bucket,
        notify_queue_url=state.notify_queue_url,
        dead_letter_queue_url=state.dead_letter_queue_url,
        stage="dev",
        session=session,
        endpoint=state.endpoint,
    )


def stage_target(stage: str) -> Target:
    """A deployed stage: credentials, profile and region from the standard AWS environment."""
    session = boto3.session.Session()
    if not session.region_name:
        raise TargetError("no AWS region: set AWS_REGION (or AWS_PROFILE with a region) to the stage's region")
    outputs = _stack_outputs(session, stack_name(stage))
    return Target(
        label=f"stage {stage}",
        bucket=outputs["BucketName"],
        notify_queue_url=outputs["NotifyQueueUrl"],
        dead_letter_queue_url=outputs["DeadLetterQueueUrl"],
        stage=stage,
        session=session,
    )


def _stack_outputs(session: boto3.session.Session, name: str) -> dict[str, str]:
    cloudformation: Any = session.client("cloudformation", config=CLIENT_CONFIG)
    try:
        [description] = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            raise TargetError(f"no stack {name} in region {session.region_name}: is the stage name right?") from None
        raise TargetError(f"could not read stack {name}: {error.response.get('Error', {}).get('Code')}") from None
    except BotoCoreError as error:
        raise TargetError(f"could not reach AWS: {type(error).__name__}") from None
    outputs = Stack.from_description(description).outputs
    missing = [name for name in REQUIRED_OUTPUTS if name not in outputs]
    if missing:
        raise TargetError(f"stack {name} has no output {', '.join(missing)}: deploy it again with `make deploy`")
    return outputs
