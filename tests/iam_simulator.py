"""Which IAM actions and resources an AWS call needs, and whether a policy document allows them.

Enough of IAM's evaluation for the functions' policies: Allow statements, wildcards in actions and
resources, StringLike and StringEquals conditions. The actions each call needs are AWS's documented ones.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from tests.deploy_fakes import ACCOUNT, REGION


class CallRecorder:
    """Every AWS call a boto3 client of the default session makes: service, operation, parameters."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append((model.service_model.service_name, model.name, dict(params)))

    def operations(self) -> set[str]:
        return {f"{service}.{operation}" for service, operation, _ in self.calls}


def _queue_arn(url: str) -> str:
    account, name = url.rstrip("/").split("/")[-2:]
    return f"arn:aws:sqs:{REGION}:{account}:{name}"


def needed(service: str, operation: str, params: Mapping[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    """The IAM actions and resources one call is authorized against (as AWS documents them)."""
    if service == "s3":
        bucket = f"arn:aws:s3:::{params['Bucket']}"
        if operation in ("ListObjectsV2", "ListObjects"):
            return [("s3:ListBucket", bucket, {"s3:prefix": str(params.get("Prefix", ""))})]
        if operation == "ListObjectVersions":
            return [("s3:ListBucketVersions", bucket, {"s3:prefix": str(params.get("Prefix", ""))})]
        if operation == "DeleteObjects":  # authorized object by object, a version's as s3:DeleteObjectVersion
            return [
                ("s3:DeleteObjectVersion" if "VersionId" in item else "s3:DeleteObject", f"{bucket}/{item['Key']}", {})
                for item in params["Delete"]["Objects"]
            ]
        object_actions = {"PutObject": "s3:PutObject", "GetObject": "s3:GetObject", "HeadObject": "s3:GetObject"}
        object_actions |= {"DeleteObject": "s3:DeleteObject", "CopyObject": "s3:PutObject"}
        if operation in object_actions:
            found: list[tuple[str, str, dict[str, str]]] = [
                (object_actions[operation], f"{bucket}/{params['Key']}", {})
            ]
            if operation == "CopyObject":
                source = params["CopySource"]
                found.append(("s3:GetObject", f"arn:aws:s3:::{source['Bucket']}/{source['Key']}", {}))
            return found
    if service == "sqs":
        queue = (
            f"arn:aws:sqs:{REGION}:{params.get('QueueOwnerAWSAccountId', ACCOUNT)}:{params['QueueName']}"
            if operation == "GetQueueUrl"
            else _queue_arn(params["QueueUrl"])
        )
        sqs_actions = {"GetQueueUrl": "GetQueueUrl", "DeleteMessageBatch": "DeleteMessage"}
        sqs_actions |= {"DeleteMessage": "DeleteMessage", "ChangeMessageVisibility": "ChangeMessageVisibility"}
        sqs_actions |= {"ChangeMessageVisibilityBatch": "ChangeMessageVisibility", "ReceiveMessage": "ReceiveMessage"}
        sqs_actions |= {"SendMessage": "SendMessage", "SendMessageBatch": "SendMessage"}
        if operation in sqs_actions:
            return [(f"sqs:{sqs_actions[operation]}", queue, {})]
    if service == "sesv2" and operation == "SendEmail":
        identity = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{params['FromEmailAddress']}"
        actions = ["ses:SendEmail", *(["ses:SendRawEmail"] if "Raw" in params["Content"] else [])]
        return [(action, identity, {}) for action in actions]
    if service == "ssm" and operation == "GetParameter":
        return [("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{params['Name'].lstrip('/')}", {})]
    raise AssertionError(f"no IAM mapping for {service}.{operation}: add one here, and to the policy if needed")


def _condition_holds(condition: Mapping[str, Mapping[str, Any]], request: Mapping[str, str]) -> bool:
    for operator, keys in condition.items():
        for key, wanted in keys.items():
            value = request.get(key)
            patterns = wanted if isinstance(wanted, list) else [wanted]
            if value is None:
                return False
            if operator == "StringLike" and not any(fnmatch.fnmatchcase(value, p) for p in patterns):
                return False
            if operator == "StringEquals" and value not in patterns:
                return False
            if operator not in ("StringLike", "StringEquals"):
                return False
    return True


def allowed(document: Mapping[str, Any], action: str, resource: str, request: Mapping[str, str]) -> bool:
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if (
            statement["Effect"] == "Allow"
            and any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in actions)
            and any(fnmatch.fnmatchcase(resource, r) for r in resources)
            and _condition_holds(statement.get("Condition", {}), request)
        ):
            return True
    return False


def denied_calls(recorder: CallRecorder, document: Mapping[str, Any]) -> list[str]:
    return [
        f"{service}.{operation} needs {action} on {resource}"
        for service, operation, params in recorder.calls
        for action, resource, request in needed(service, operation, params)
        if not allowed(document, action, resource, request)
    ]
