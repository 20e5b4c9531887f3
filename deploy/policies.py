"""The functions' IAM policies, rendered from the stack's outputs, and the check that none grants a wildcard.

Each function gets its own role (Chalice `autogen_policy: false`, one `iam_policy_file`
per function), granting what its code calls and nothing else:

api     s3:PutObject on submissions/*; s3:ListBucket limited to the submissions/ and uploads/
        prefixes (finding an earlier answer for an Idempotency-Key; a 404 rather than a 403 for
        a missing upload); uploads/* and attachments/*
        for files (the presigned POST is signed by this role); s3:GetObject on wall/* and
        s3:ListBucket limited to wall/ (the published feed); for the emailed review link, what
        `letterbox wall approve` and `reject` do: s3:PutObject on wall/*, s3:ListBucketVersions
        limited to wall/ and s3:DeleteObjectVersion on wall/* (a rebuild purges the feed's older
        versions, a take-down every version of an entry), s3:GetObject and PutObject on
        moderation/* and s3:ListBucket limited to moderation/ (the decision: read, written once);
        ssm:GetParameter on the hCaptcha secret's parameter and on the stage's signing key
        (chalicelib/core/signing_keys.py).
notify  s3:GetObject on submissions/* and attachments/*, s3:ListBucket on submissions/ (a 404
        for a submission deleted before its email); s3:GetObject, PutObject and
        DeleteObject on notified/* (the "sent" markers); ses:SendEmail and
        ses:SendRawEmail on the sender's identity; the SQS calls of the event source
        mapping and of the handler itself, on the notify queue only; ssm:GetParameter on the
        stage's signing key (the review links in emails).
digests sqs:GetQueueUrl and sqs:SendMessage on the notify queue only: the schedule queues a
        "digest due" message and reads nothing (the notify function builds the digest).
all     logs:CreateLogStream and logs:PutLogEvents on their own log group (the infra
        stack creates the groups); with SSE-KMS, kms:GenerateDataKey and kms:Decrypt on
        the bucket's key, through S3 only.

The names are only known once the stack exists, so the policies are rendered at deploy
time from its outputs, deterministically: the same stack gives the same files.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from chalicelib.core.signing_keys import parameter_name

APP_NAME = "letterbox"
SUBMISSIONS = "submissions/"
MARKERS = "notified/"
UPLOADS = "uploads/"
ATTACHMENTS = "attachments/"
WALL = "wall/"
DECISIONS = "moderation/"

Policy = dict[str, Any]


class PolicyError(Exception):
    """A policy grants more than it names: the message quotes the offending statement."""


@dataclass(frozen=True)
class PolicyContext:
    """Everything a policy names, from the infra stack and the stage's settings."""

    stage: str
    partition: str
    region: str
    account: str
    bucket: str
    queue_arn: str
    sender: str
    kms_key_arn: str = ""
    secret_parameter: str = ""

    @classmethod
    def from_stack(
        cls,
        stage: str,
        outputs: Mapping[str, str],
        parameters: Mapping[str, str],
        sender: str,
        secret_parameter: str = "",
    ) -> PolicyContext:
        # The queue's ARN carries the partition, region and account the stack lives in.
        parts = outputs["NotifyQueueArn"].split(":")
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs":
            raise PolicyError(f"NotifyQueueArn is not an SQS queue ARN: {outputs['NotifyQueueArn']!r}")
        return cls(
            stage=stage,
            partition=parts[1],
            region=parts[3],
            account=parts[4],
            bucket=outputs["BucketName"],
            queue_arn=outputs["NotifyQueueArn"],
            sender=sender,
            kms_key_arn=parameters.get("KmsKeyArn", ""),
            secret_parameter=secret_parameter,
        )

    def object_arn(self, prefix: str) -> str:
        return f"arn:{self.partition}:s3:::{self.bucket}/{prefix}*"

    @property
    def bucket_arn(self) -> str:
        return f"arn:{self.partition}:s3:::{self.bucket}"

    def log_group_arn(self, function_name: str) -> str:
        # The ":*" covers the group's streams: CreateLogStream and PutLogEvents act on them.
        return f"arn:{self.partition}:logs:{self.region}:{self.account}:log-group:/aws/lambda/{function_name}:*"

    @property
    def identity_arn(self) -> str:
        return f"arn:{self.partition}:ses:{self.region}:{self.account}:identity/{self.sender}"

    @property
    def parameter_arn(self) -> str:
        return self._parameter_arn(self.secret_parameter)

    @property
    def signing_key_arn(self) -> str:
        return self._parameter_arn(parameter_name(self.stage))

    def _parameter_arn(self, name: str) -> str:
        # SSM ARNs hold the name without its leading slash: parameter/letterbox/prod/...
        return f"arn:{self.partition}:ssm:{self.region}:{self.account}:parameter/{name.lstrip('/')}"

    @property
    def s3_service(self) -> str:
        suffix = "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"
        return f"s3.{self.region}.{suffix}"


def function_names(stage: str) -> dict[str, str]:
    """Chalice's Lambda names: <app>-<stage> for the API handler, <app>-<stage>-<name> for the others."""
    return {
        "api_handler": f"{APP_NAME}-{stage}",
        "notify": f"{APP_NAME}-{stage}-notify",
        "digests": f"{APP_NAME}-{stage}-digests",
    }


def policy_file_names(stage: str) -> dict[str, str]:
    """The files, relative to .chalice/, that the stage's `iam_policy_file` settings name."""
    return {
        "api_handler": f"policy-{stage}-api.json",
        "notify": f"policy-{stage}-notify.json",
        "digests": f"policy-{stage}-digests.json",
    }


def _statement(sid: str, actions: list[str], resources: list[str], **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def _common(context: PolicyContext, function_name: str) -> list[dict[str, Any]]:
    statements = [
        _statement(
            "WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [context.log_group_arn(function_name)]
        )
    ]
    if context.kms_key_arn:
        statements.append(
            _statement(
                "UseBucketKeyThroughS3",
                ["kms:Decrypt", "kms:GenerateDataKey"],
                [context.kms_key_arn],
                StringEquals={"kms:ViaService": context.s3_service},
            )
        )
    return statements


def api_policy(context: PolicyContext) -> Policy:
    statements = [
        # A retry's first attempt is found with one HEAD (which is s3:GetObject) of the key its
        # Idempotency-Key names; nothing is ever listed.
        _statement("StoreAndFindSubmissions", ["s3:PutObject", "s3:GetObject"], [context.object_arn(SUBMISSIONS)]),
        # No listing is done: without ListBucket S3 answers 403, not 404, for a HEAD of an object
        # that is not there (a first attempt, an upload).
        _statement(
            "ListSubmissionsAndUploadsOnly",
            ["s3:ListBucket"],
            [context.bucket_arn],
            StringLike={"s3:prefix": [f"{SUBMISSIONS}*", f"{UPLOADS}*"]},
        ),
        # The browser's upload is authorized as this role (it signs the presigned POST);
        # at submit the upload is checked (HeadObject is s3:GetObject), copied, and deleted once kept.
        _statement(
            "ReceiveUploads", ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"], [context.object_arn(UPLOADS)]
        ),
        _statement("KeepAttachments", ["s3:PutObject", "s3:DeleteObject"], [context.object_arn(ATTACHMENTS)]),
        # The published wall: read only (the organizers' console writes it with their own credentials).
        _statement("ReadTheWall", ["s3:GetObject"], [context.object_arn(WALL)]),
        # So that a wall nothing was published on yet is a 404 (an empty feed), not a 403.
        _statement("ListTheWallOnly", ["s3:ListBucket"], [context.bucket_arn], StringLike={"s3:prefix": [f"{WALL}*"]}),
        *_review_link_statements(context),
    ]
    if context.secret_parameter:
        statements.append(_statement("ReadCaptchaSecret", ["ssm:GetParameter"], [context.parameter_arn]))
    statements.append(_statement("ReadTheSigningKey", ["ssm:GetParameter"], [context.signing_key_arn]))
    statements += _common(context, function_names(context.stage)["api_handler"])
    return {"Version": "2012-10-17", "Statement": statements}


def _review_link_statements(context: PolicyContext) -> list[dict[str, Any]]:
    """The emailed review link publishes and rejects as the console does (chalicelib/intake/review.py)."""
    wall_versions = {"s3:prefix": [f"{WALL}*"]}
    return [
        # Entries and the feed; each rebuild purges the feed's older versions, a take-down an entry's.
        _statement("PublishTheWall", ["s3:PutObject", "s3:DeleteObjectVersion"], [context.object_arn(WALL)]),
        _statement("ListWallVersionsOnly", ["s3:ListBucketVersions"], [context.bucket_arn], StringLike=wall_versions),
        # The decision, written once (If-None-Match: *), and read to say what was decided.
        _statement("RecordDecisions", ["s3:GetObject", "s3:PutObject"], [context.object_arn(DECISIONS)]),
        # A report not decided yet is a 404 to read, not a 403.
        _statement(
            "ListDecisionsOnly", ["s3:ListBucket"], [context.bucket_arn], StringLike={"s3:prefix": [f"{DECISIONS}*"]}
        ),
    ]


def notify_policy(context: PolicyContext) -> Policy:
    statements = [
        _statement("ReadSubmissions", ["s3:GetObject"], [context.object_arn(SUBMISSIONS)]),
        # Without it S3 answers 403, not 404, for a submission deleted before its email went out.
        _statement(
            "ListSubmissionsOnly",
            ["s3:ListBucket"],
            [context.bucket_arn],
            StringLike={"s3:prefix": [f"{SUBMISSIONS}*"]},
        ),
        _statement("ReadAttachments", ["s3:GetObject"], [context.object_arn(ATTACHMENTS)]),
        _statement(
            "ClaimAndMarkNotifications",
            ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            [context.object_arn(MARKERS)],
        ),
        # SES authorizes the v2 SendEmail call as ses:SendEmail, and one with Raw content
        # as ses:SendRawEmail too: both, on the one sender identity.
        _statement("SendAsTheSender", ["ses:SendEmail", "ses:SendRawEmail"], [context.identity_arn]),
        # ReceiveMessage, DeleteMessage and GetQueueAttributes: Lambda's event source
        # mapping, polling as this role. GetQueueUrl, DeleteMessage(Batch) and
        # ChangeMessageVisibility: the handler settling a partly failed batch itself.
        _statement(
            "ConsumeTheNotifyQueue",
            [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueUrl",
            ],
            [context.queue_arn],
        ),
        _statement("ReadTheSigningKey", ["ssm:GetParameter"], [context.signing_key_arn]),
    ]
    statements += _common(context, function_names(context.stage)["notify"])
    return {"Version": "2012-10-17", "Statement": statements}


def digests_policy(context: PolicyContext) -> Policy:
    """The schedule only queues "digest due" messages: no bucket, no SES, no KMS (the queue is SSE-SQS)."""
    name = function_names(context.stage)["digests"]
    statements = [
        # GetQueueUrl once per container; SendMessageBatch is authorized as sqs:SendMessage.
        _statement("QueueDueDigests", ["sqs:GetQueueUrl", "sqs:SendMessage"], [context.queue_arn]),
        _statement("WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [context.log_group_arn(name)]),
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def render_policies(context: PolicyContext) -> dict[str, Policy]:
    """File name (in .chalice/) -> policy document, checked: a policy with a wildcard is never written."""
    files = policy_file_names(context.stage)
    rendered = {
        files["api_handler"]: api_policy(context),
        files["notify"]: notify_policy(context),
        files["digests"]: digests_policy(context),
    }
    for name, document in rendered.items():
        check_policy(document, name)
    return rendered


def dumps(document: Policy) -> str:
    return json.dumps(document, indent=2) + "\n"


# --- the wildcard check -------------------------------------------------------------------------


@functools.cache
def _iam_reference() -> dict[str, Any]:
    """Every IAM action and the resource types it can be limited to, as cfn-lint ships them."""
    try:
        text = resources.files("cfnlint.data.AdditionalSpecs").joinpath("Policies.json").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):  # without cfn-lint: every action counts as limitable
        return {}
    data: dict[str, Any] = json.loads(text)
    return data


def _action_resource_types(action: str) -> list[str] | None:
    """The resource types an action can be limited to; None when the action is unknown."""
    reference = _iam_reference()
    if not reference:
        return ["unknown"]
    service, _, name = action.partition(":")
    entry = reference.get(service.lower(), {}).get("Actions", {}).get(name.lower())
    if entry is None:
        return None
    return list(entry.get("Resources", []))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _too_broad_resource(resource: Any) -> bool:
    """True for "*" and for ARNs that leave the partition, service, region or account open."""
    if not isinstance(resource, str):
        return False  # an intrinsic function (Fn::GetAtt, Ref): names one resource
    if resource == "*":
        return True
    text = re.sub(r"\$\{[^}]*\}", "x", resource)  # Fn::Sub placeholders name one thing each
    parts = text.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return "*" in text
    return any("*" in part for part in parts[1:5]) or parts[5] in ("*", "")


def statement_problems(statement: Mapping[str, Any]) -> list[str]:
    """What is too broad in one statement (an empty list when nothing is)."""
    if statement.get("Effect") != "Allow":
        return []  # a Deny may be as broad as it likes: it only takes away
    problems = [f"uses {key}" for key in ("NotAction", "NotResource") if key in statement]
    actions = [a for a in _as_list(statement.get("Action", [])) if isinstance(a, str)]
    for action in actions:
        if "*" in action:
            problems.append(f"wildcard action {action!r}")
        elif _action_resource_types(action) is None:
            problems.append(f"unknown action {action!r}")
    if "Resource" not in statement:
        return problems  # a resource policy's statement names its principal instead
    limitable = any(_action_resource_types(a) for a in actions if "*" not in a)
    for resource in _as_list(statement["Resource"]):
        if resource == "*" and not limitable:
            continue  # none of the actions can be limited to a resource: "*" is the only choice
        if _too_broad_resource(resource):
            problems.append(f"wildcard resource {resource!r}")
    return problems


def _statements(document: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for statement in _as_list(document.get("Statement", [])):
        if isinstance(statement, Mapping):
            yield statement


def policy_problems(document: Mapping[str, Any], where: str = "policy") -> list[str]:
    """One line per offending statement: where, what is wrong, and the statement itself."""
    found = []
    for index, statement in enumerate(_statements(document)):
        if problems := statement_problems(statement):
            label = statement.get("Sid", f"#{index}")
            found.append(f"{where} statement {label}: {'; '.join(problems)}: {json.dumps(statement, sort_keys=True)}")
    return found


def check_policy(document: Mapping[str, Any], where: str = "policy") -> None:
    if found := policy_problems(document, where):
        raise PolicyError("\n".join(found))


def template_policies(template: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every PolicyDocument in a CloudFormation template, with where it sits (Resource/path)."""

    def walk(value: Any, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        if isinstance(value, Mapping):
            for key, item in value.items():
                if key == "PolicyDocument" and isinstance(item, Mapping):
                    yield path, item
                else:
                    yield from walk(item, f"{path}/{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(item, f"{path}/{index}")

    for logical_id, resource in template.get("Resources", {}).items():
        yield from walk(copy.deepcopy(resource.get("Properties", {})), logical_id)


def check_template(template: Mapping[str, Any], where: str) -> list[str]:
    """The problems of every policy in a template (the infra stack's, or `chalice package`'s sam.json)."""
    found = []
    for path, document in template_policies(template):
        found += policy_problems(document, f"{where}:{path}")
    return found
