"""Apply infra/template.yaml with plain API calls, for the local AWS emulator (moto).

moto's CloudFormation supports neither AWS::SQS::QueuePolicy nor a bucket's
NotificationConfiguration, so locally the template is read here and each
resource is created with the boto3 call CloudFormation would make. The template
stays the one source of truth; AWS itself gets it through CloudFormation.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from infra.template import TemplateError, load_template

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "template.yaml"
_NO_VALUE = object()  # what Ref AWS::NoValue resolves to: the key or list item is dropped


def _parameters(declared: dict[str, Any], given: dict[str, str]) -> dict[str, Any]:
    if unknown := set(given) - set(declared):
        raise TemplateError(f"unknown parameters: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        raw = given.get(name, spec.get("Default"))
        if raw is None:
            raise TemplateError(f"parameter {name} has no value and no default")
        raw = str(raw)
        allowed = [str(v) for v in spec.get("AllowedValues", [])]
        if allowed and raw not in allowed:
            raise TemplateError(f"parameter {name}={raw!r} is not one of {allowed}")
        if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], raw):
            raise TemplateError(f"parameter {name}={raw!r} does not match {spec['AllowedPattern']}")
        if spec["Type"] == "Number" and not (
            float(spec.get("MinValue", "-inf")) <= float(raw) <= float(spec.get("MaxValue", "inf"))
        ):
            raise TemplateError(f"parameter {name}={raw} is out of range")
        # CloudFormation trims each member of a CommaDelimitedList.
        values[name] = [s.strip() for s in raw.split(",")] if spec["Type"] == "CommaDelimitedList" else raw
    return values


class _Resolver:
    """Evaluates intrinsic functions against parameters, conditions and created resources."""

    def __init__(self, doc: dict[str, Any], refs: dict[str, Any]) -> None:
        self.doc = doc
        self.refs = refs  # parameters and pseudo parameters
        self.attrs: dict[str, dict[str, str]] = {}  # logical id -> {"Ref": ..., "Arn": ...}
        self._conditions: dict[str, bool] = {}
        self._fns: dict[str, Callable[[Any], Any]] = {
            "Ref": self._ref,
            "Fn::GetAtt": lambda a: self._attr(a[0], a[1]),
            "Fn::Sub": self._sub,
            "Fn::If": lambda a: self.resolve(a[1] if self.condition(a[0]) else a[2]),
            "Fn::Equals": lambda a: str(self.resolve(a[0])) == str(self.resolve(a[1])),
            "Fn::Not": lambda a: not self.resolve(a[0]),
            "Fn::And": lambda a: all(self.resolve(c) for c in a),
            "Fn::Or": lambda a: any(self.resolve(c) for c in a),
            "Condition": self.condition,
            "Fn::Select": lambda a: self.resolve(a[1])[int(self.resolve(a[0]))],
            "Fn::Split": lambda a: str(self.resolve(a[1])).split(a[0]),
            "Fn::Join": lambda a: a[0].join(str(v) for v in self.resolve(a[1])),
            "Fn::FindInMap": lambda a: self.doc["Mappings"][self.resolve(a[0])][str(self.resolve(a[1]))][
                self.resolve(a[2])
            ],
        }

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = bool(self.resolve(self.doc["Conditions"][name]))
        return self._conditions[name]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [v for v in map(self.resolve, value) if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            # A policy's "Condition" block is a mapping; the Condition function takes a name.
            if key in self._fns and (key != "Condition" or isinstance(arg, str)):
                return self._fns[key](arg)
            if key.startswith("Fn::"):
                raise TemplateError(f"unsupported intrinsic function {key}")
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not _NO_VALUE}

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.refs:
            return self.refs[name]
        return self._attr(name, "Ref")

    def _attr(self, logical_id: str, attr: str) -> str:
        try:
            return self.attrs[logical_id][attr]
        except KeyError:
            raise TemplateError(f"cannot resolve {logical_id}.{attr} (not created, or not supported)") from None

    def _sub(self, arg: str | list[Any]) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} stands for the text ${Literal}
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            return str(self._ref(name) if "." not in name else self._attr(*name.split(".", 1)))

        return re.sub(r"\$\{([^}]+)\}", one, text)


def _references(value: Any) -> set[str]:
    """Every name a value refers to by Ref, GetAtt or ${...} in Sub."""
    if isinstance(value, list):
        return set().union(*map(_references, value)) if value else set()
    if not isinstance(value, dict):
        return set()
    found: set[str] = set()
    for key, arg in value.items():
        if key == "Ref" and isinstance(arg, str):
            found.add(arg)
        elif key == "Fn::GetAtt":
            found.add(arg[0])
        elif key == "Fn::Sub":
            text = arg if isinstance(arg, str) else arg[0]
            found |= {n.split(".")[0] for n in re.findall(r"\$\{([^!}][^}]*)\}", text)}
        found |= _references(arg)
    return found


def _order(resources: dict[str, Any]) -> list[str]:
    """Logical ids so that each comes after what it depends on (template order otherwise)."""
    done: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            raise TemplateError(f"circular dependency through {name}")
        visiting.add(name)
        spec = resources[name]
        depends = spec.get("DependsOn", [])
        for dep in sorted(({depends} if isinstance(depends, str) else set(depends)) | _references(spec)):
            if dep in resources:
                visit(dep)
        visiting.discard(name)
        done.append(name)

    for name in resources:
        visit(name)
    return done


def _only(props: dict[str, Any], allowed: set[str], where: str) -> None:
    # Fail loudly rather than create something other than what the template describes.
    if extra := set(props) - allowed:
        raise TemplateError(f"{where}: the local loader does not support {', '.join(sorted(extra))}")


class _Aws:
    def __init__(self, session: boto3.session.Session, region: str) -> None:
        self.session: Any = session  # Any: clients are picked by a runtime service name
        self.region, self._clients = region, dict[str, Any]()
        self.partition: str = session.get_partition_for_region(region)
        self.account: str = self.client("sts").get_caller_identity()["Account"]

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, region_name=self.region)
        return self._clients[service]


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    known = (
        "Id Status Prefix ExpirationInDays ExpiredObjectDeleteMarker AbortIncompleteMultipartUpload"
        " NoncurrentVersionExpiration"
    )
    _only(rule, set(known.split()), f"lifecycle rule {rule.get('Id')}")
    out: dict[str, Any] = {"ID": rule["Id"], "Status": rule["Status"], "Filter": {"Prefix": rule.get("Prefix", "")}}
    if "ExpirationInDays" in rule:
        out["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "ExpiredObjectDeleteMarker" in rule:
        # The API keeps it inside Expiration (CloudFormation forbids it next to ExpirationInDays).
        out.setdefault("Expiration", {})["ExpiredObjectDeleteMarker"] = (
            str(rule["ExpiredObjectDeleteMarker"]).lower() == "true"
        )
    for key in ("AbortIncompleteMultipartUpload", "NoncurrentVersionExpiration"):
        if key in rule:
            out[key] = {k: int(v) for k, v in rule[key].items()}
    return out


def _queue_notification(conf: dict[str, Any]) -> dict[str, Any]:
    # CloudFormation's shape (Event, Queue, Filter.S3Key.Rules) differs from the API's.
    out: dict[str, Any] = {"QueueArn": conf["Queue"], "Events": [conf["Event"]]}
    if rules := conf.get("Filter", {}).get("S3Key", {}).get("Rules"):
        out["Filter"] = {"Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}
    return out


def _cors_rule(rule: dict[str, Any]) -> dict[str, Any]:
    # CloudFormation's names for three of the API's keys differ.
    renamed = {"Id": "ID", "ExposedHeaders": "ExposeHeaders", "MaxAge": "MaxAgeSeconds"}
    return {renamed.get(key, key): (int(value) if key == "MaxAge" else value) for key, value in rule.items()}


def _bucket(aws: _Aws, props: dict[str, Any]) -> dict[str, str]:
    s3, name = aws.client("s3"), props["BucketName"]
    where = {} if aws.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": aws.region}}
    try:
        s3.create_bucket(Bucket=name, **where)
    except ClientError as err:
        if err.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise
    if "PublicAccessBlockConfiguration" in props:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
    if "BucketEncryption" in props:
        rules = [  # the API names CloudFormation's ServerSideEncryptionByDefault differently
            {
                ("ApplyServerSideEncryptionByDefault" if k == "ServerSideEncryptionByDefault" else k): v
                for k, v in rule.items()
            }
            for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        ]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    if "VersioningConfiguration" in props:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=props["VersioningConfiguration"])
    if "OwnershipControls" in props:
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=props["OwnershipControls"])
    if "LifecycleConfiguration" in props:
        rules = [_lifecycle_rule(r) for r in props["LifecycleConfiguration"]["Rules"]]
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
    if "CorsConfiguration" in props:
        s3.put_bucket_cors(
            Bucket=name,
            CORSConfiguration={"CORSRules": [_cors_rule(r) for r in props["CorsConfiguration"]["CorsRules"]]},
        )
    if "NotificationConfiguration" in props:
        conf = props["NotificationConfiguration"]
        _only(conf, {"QueueConfigurations"}, "NotificationConfiguration")
        queues = [_queue_notification(c) for c in conf["QueueConfigurations"]]
        s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={"QueueConfigurations": queues})
    return {"Ref": name, "Arn": f"arn:{aws.partition}:s3:::{name}"}


def _bucket_policy(aws: _Aws, props: dict[str, Any]) -> dict[str, str]:
    # Skipped locally: moto evaluates bucket policies without a request context, so a
    # Deny on aws:SecureTransport=false (or any conditioned statement) denies every
    # object request, over HTTP or HTTPS alike (moto 5.2.1, checked). AWS gets it.
    policy = dict(props["PolicyDocument"])
    policy["Statement"] = [s for s in policy["Statement"] if "aws:SecureTransport" not in json.dumps(s)]
    if policy["Statement"]:
        aws.client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(policy))
    return {"Ref": props["Bucket"]}


def _queue(aws: _Aws, props: dict[str, Any]) -> dict[str, str]:
    sqs, name = aws.client("sqs"), props["QueueName"]
    # The API wants every attribute as a string, and RedrivePolicy as JSON text.
    attributes = {
        k: json.dumps(v) if isinstance(v, dict) else str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in props.items()
        if k != "QueueName"
    }
    try:
        url: str = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        if attributes:  # CreateQueue would refuse an existing queue whose attributes changed
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    except sqs.exceptions.QueueDoesNotExist:
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {"Ref": url, "Arn": arn, "QueueName": name, "QueueUrl": url}


def _queue_policy(aws: _Aws, props: dict[str, Any]) -> dict[str, str]:
    for url in props["Queues"]:
        aws.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])})
    return {"Ref": ",".join(props["Queues"])}


def _topic(aws: _Aws, props: dict[str, Any]) -> dict[str, str]:
    sns, name = aws.client("sns"), props["TopicName"]
    arn: str = sns.create_topic(Name=name)["TopicArn"]  # idempotent for an existing name
    for key in ("DisplayName", "KmsMasterKeyId"):
        if key in props:
            sns.set_topic_attributes(TopicArn=arn, AttributeName=key, AttributeValue=props[key])
    return {"Ref": arn, "TopicArn": arn, "TopicName": name}


def _subscription(aws: _Aws, props: dict[str, Any]) -> dict[str, str]:
    sns = aws.client("sns")
    for sub in sns.list_subscriptions_by_topic(TopicArn=props["TopicArn"])["Subscriptions"]:
        if (sub["Protocol"], sub["Endpoint"]) == (props["Protocol"], props["Endpoint"]):
            return {"Ref": sub["SubscriptionArn"]}  # subscribing again would mail a new confirmation
    return {"Ref": sns.subscribe(**props, ReturnSubscriptionArn=True)["SubscriptionArn"]}


def _alarm(aws: _Aws, props: dict[str, Any]) -> dict[str, str]:
    # The API's names are CloudFormation's; only the number types differ.
    numbers: dict[str, Any] = {
        k: int(props[k]) for k in ("Period", "EvaluationPeriods", "DatapointsToAlarm") if k in props
    }
    aws.client("cloudwatch").put_metric_alarm(**props | numbers | {"Threshold": float(props["Threshold"])})
    name = props["AlarmName"]
    return {"Ref": name, "Arn": f"arn:{aws.partition}:cloudwatch:{aws.region}:{aws.account}:alarm:{name}"}


def _email_identity(aws: _Aws, props: dict[str, Any]) -> dict[str, str]:
    ses, identity = aws.client("sesv2"), props["EmailIdentity"]
    # Applying the template again finds it there already.
    with contextlib.suppress(ses.exceptions.AlreadyExistsException):
        ses.create_email_identity(EmailIdentity=identity)
    return {"Ref": identity}


def _log_group(aws: _Aws, props: dict[str, Any]) -> dict[str, str]:
    logs, name = aws.client("logs"), props["LogGroupName"]
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=name)
    if "RetentionInDays" in props:
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
    return {"Ref": name, "Arn": f"arn:{aws.partition}:logs:{aws.region}:{aws.account}:log-group:{name}:*"}


_Handler = Callable[[_Aws, dict[str, Any]], dict[str, str]]
# Each type's handler, and the properties it knows how to apply.
_HANDLERS: dict[str, tuple[_Handler, str]] = {
    "AWS::S3::Bucket": (
        _bucket,
        "BucketName PublicAccessBlockConfiguration BucketEncryption VersioningConfiguration OwnershipControls"
        " LifecycleConfiguration NotificationConfiguration CorsConfiguration",
    ),
    "AWS::S3::BucketPolicy": (_bucket_policy, "Bucket PolicyDocument"),
    "AWS::SQS::Queue": (
        _queue,
        "QueueName VisibilityTimeout MessageRetentionPeriod RedrivePolicy SqsManagedSseEnabled DelaySeconds"
        " ReceiveMessageWaitTimeSeconds",
    ),
    "AWS::SQS::QueuePolicy": (_queue_policy, "Queues PolicyDocument"),
    "AWS::SNS::Topic": (_topic, "TopicName DisplayName KmsMasterKeyId"),
    "AWS::SNS::Subscription": (_subscription, "TopicArn Protocol Endpoint"),
    "AWS::SES::EmailIdentity": (_email_identity, "EmailIdentity"),
    "AWS::Logs::LogGroup": (_log_group, "LogGroupName RetentionInDays"),
    "AWS::CloudWatch::Alarm": (
        _alarm,
        "AlarmName AlarmDescription Namespace MetricName Dimensions Statistic Period EvaluationPeriods"
        " DatapointsToAlarm Threshold ComparisonOperator TreatMissingData AlarmActions OKActions"
        " InsufficientDataActions ActionsEnabled",
    ),
}


def _check_supported(resources: dict[str, Any]) -> None:
    """Fail before the first call, not half-way, on what the loader cannot apply faithfully."""
    for logical_id, spec in resources.items():
        if spec["Type"] not in _HANDLERS:
            raise TemplateError(f"{logical_id}: resource type {spec['Type']} is not supported by the local loader")
        _only(spec.get("Properties", {}), set(_HANDLERS[spec["Type"]][1].split()), logical_id)


def apply_template(
    template_path: Path, parameters: dict[str, str], *, session: boto3.session.Session | None = None
) -> dict[str, str]:
    """Create (idempotently: safe to run twice) the template's resources; return the Outputs, resolved."""
    doc = load_template(template_path)
    resources: dict[str, Any] = doc["Resources"]
    _check_supported(resources)
    session = session or boto3.session.Session()
    if not session.region_name:
        raise TemplateError("no AWS region configured (set AWS_DEFAULT_REGION)")
    aws = _Aws(session, session.region_name)
    pseudo = {
        "AWS::AccountId": aws.account,
        "AWS::Region": aws.region,
        "AWS::Partition": aws.partition,
        "AWS::URLSuffix": "amazonaws.com",
    }
    resolver = _Resolver(doc, {**_parameters(doc.get("Parameters", {}), parameters), **pseudo})
    for logical_id in _order(resources):
        spec = resources[logical_id]
        if "Condition" in spec and not resolver.condition(spec["Condition"]):
            continue
        resolver.attrs[logical_id] = _HANDLERS[spec["Type"]][0](aws, resolver.resolve(spec.get("Properties", {})))
    return {
        name: str(resolver.resolve(out["Value"]))
        for name, out in doc.get("Outputs", {}).items()
        if "Condition" not in out or resolver.condition(out["Condition"])
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    parser.add_argument("-p", "--parameter", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    parameters = dict(p.split("=", 1) for p in args.parameter if "=" in p)
    if len(parameters) != len(args.parameter):
        parser.error("--parameter takes KEY=VALUE")
    try:
        outputs = apply_template(args.template, {"Stage": args.stage, **parameters})
    except TemplateError as err:
        parser.exit(2, f"{parser.prog}: {err}\n")
    sys.stdout.write(json.dumps(outputs, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
