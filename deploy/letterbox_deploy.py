"""Deploy letterbox to AWS, or tear it down. `make deploy STAGE=prod` and `make destroy STAGE=prod` call this.

deploy   1. checks the settings (sender, organizers, origins, hCaptcha keys) before any AWS call
         2. creates or updates the CloudFormation stack letterbox-<stage> from infra/template.yaml
            (a change set; one without changes is dropped, so running it again is harmless)
         3. stores the hCaptcha secret, if given in HCAPTCHA_SECRET, as an SSM SecureString
         4. writes the stack's outputs into .chalice/config.json (stage <stage>) and the
            per-function policies into .chalice/policy-<stage>-{api,notify}.json
         5. runs `chalice deploy --stage <stage>` with LETTERBOX_NOTIFY_QUEUE set to the stack's
            queue, and prints the API's URL
destroy  runs `chalice delete`, deletes the stack and the secret it stored; the bucket (with
         every submission) is kept unless --delete-data is given.

No ReportBatchItemFailures is switched on for the notify mapping: the handler does not rely
on it (chalicelib/notify/batch.py deletes the records that succeeded itself, then raises).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import boto3
from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from chalicelib.core.settings import (
    HCAPTCHA_TEST_SECRET,
    HCAPTCHA_TEST_SITEKEY,
    PRODUCTION_STAGES,
    ConfigError,
    Settings,
)
from infra.template import load_template  # reads the template's short forms (!Sub, !Ref)

from . import policies, stage_config
from .stage_config import StageConfigError, StageSettings

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"
APP_NAME = policies.APP_NAME
SECRET_PARAMETER = "/letterbox/{stage}/hcaptcha-secret"  # noqa: S105 (a name, not a secret)
# The bucket's name in infra/template.yaml (a test holds the two together).
BUCKET_NAME = "letterbox-{stage}-{account}-{region}"
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


class DeployError(Exception):
    """Deploying or tearing down stopped; the message says why and what to do."""


@dataclass(frozen=True)
class Stack:
    name: str
    status: str
    outputs: dict[str, str]
    parameters: dict[str, str]

    @classmethod
    def from_description(cls, description: Mapping[str, Any]) -> Stack:
        return cls(
            name=str(description["StackName"]),
            status=str(description["StackStatus"]),
            outputs={o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])},
            parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in description.get("Parameters", [])},
        )


def stack_name(stage: str) -> str:
    return f"{APP_NAME}-{stage}"


def stack_parameters(declared: Iterable[str], given: Mapping[str, str], exists: bool) -> list[dict[str, Any]]:
    """CloudFormation parameters: the given values; on update the others keep their previous values."""
    if unknown := set(given) - set(declared):
        raise DeployError(f"the template has no parameters {', '.join(sorted(unknown))}")
    parameters: list[dict[str, Any]] = []
    for name in declared:
        if name in given:
            parameters.append({"ParameterKey": name, "ParameterValue": given[name]})
        elif exists:
            parameters.append({"ParameterKey": name, "UsePreviousValue": True})
    return parameters


def template_parameters(template_path: Path) -> dict[str, Any]:
    parameters: dict[str, Any] = load_template(template_path).get("Parameters", {})
    return parameters


class StackDeployer:
    """Creates or updates one stack through a change set, and waits for it."""

    def __init__(self, cloudformation: Any, out: TextIO, poll_seconds: float = 5.0) -> None:
        self._cfn = cloudformation
        self._out = out
        self._poll = poll_seconds

    def describe(self, name: str) -> Stack | None:
        try:
            [description] = self._cfn.describe_stacks(StackName=name)["Stacks"]
        except ClientError as error:
            if "does not exist" in str(error.response.get("Error", {}).get("Message", "")):
                return None
            raise
        return Stack.from_description(description)

    def deploy(self, name: str, template_body: str, declared: Iterable[str], given: Mapping[str, str]) -> Stack:
        current = self.describe(name)
        if current is not None and current.status == "ROLLBACK_COMPLETE":
            # A first creation that failed: CloudFormation allows only deleting it.
            self._say(f"stack {name} failed to create earlier (ROLLBACK_COMPLETE): deleting it to start again")
            self.delete(name)
            current = None
        if current is not None and (current.status.endswith("_IN_PROGRESS") and current.status != "REVIEW_IN_PROGRESS"):
            raise DeployError(f"stack {name} is busy ({current.status}); run this again when it is done")
        if current is not None and current.status.endswith("_FAILED"):
            raise DeployError(f"stack {name} is {current.status}: fix it in the CloudFormation console first")
        exists = current is not None and current.status != "REVIEW_IN_PROGRESS"
        change_set = f"{name}-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}"
        try:
            self._cfn.create_change_set(
                StackName=name,
                ChangeSetName=change_set,
                ChangeSetType="UPDATE" if exists else "CREATE",
                TemplateBody=template_body,
                Parameters=stack_parameters(declared, given, exists),
                Tags=[{"Key": "app", "Value": APP_NAME}],
            )
            ready = self._change_set_ready(name, change_set)
        except ClientError as error:
            # AWS answers "nothing to change" with a FAILED change set; some endpoints refuse the call.
            if not any(text in str(error) for text in NO_CHANGES):
                raise
            ready = False
        if not ready:
            self._say(f"stack {name} is up to date")
            described = self.describe(name)
            assert described is not None
            return described
        self._say(f"{'updating' if exists else 'creating'} stack {name} (change set {change_set})")
        self._cfn.execute_change_set(StackName=name, ChangeSetName=change_set)
        self._wait("stack_update_complete" if exists else "stack_create_complete", name)
        described = self.describe(name)
        assert described is not None
        return described

    def delete(self, name: str) -> None:
        self._cfn.delete_stack(StackName=name)
        self._wait("stack_delete_complete", name)

    def _change_set_ready(self, name: str, change_set: str) -> bool:
        """True when the change set holds changes to execute; False (and dropped) when it holds none."""
        try:
            self._cfn.get_waiter("change_set_create_complete").wait(
                StackName=name, ChangeSetName=change_set, WaiterConfig=self._waiter_config()
            )
            return True
        except WaiterError:
            described = self._cfn.describe_change_set(StackName=name, ChangeSetName=change_set)
            reason = str(described.get("StatusReason", ""))
            if described.get("Status") == "FAILED" and any(text in reason for text in NO_CHANGES):
                self._cfn.delete_change_set(StackName=name, ChangeSetName=change_set)
                return False
            raise DeployError(f"CloudFormation refused the change set for {name}: {reason}") from None

    def _wait(self, waiter: str, name: str) -> None:
        try:
            self._cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig=self._waiter_config())
        except WaiterError:
            raise DeployError(f"stack {name}: {waiter} did not happen.\n{self._failures(name)}") from None

    def _failures(self, name: str) -> str:
        try:
            events = self._cfn.describe_stack_events(StackName=name)["StackEvents"]
        except ClientError:
            return "(no stack events to show)"
        failed = [e for e in events if str(e.get("ResourceStatus", "")).endswith("_FAILED")][:10]
        return "\n".join(
            f"  {e['LogicalResourceId']}: {e['ResourceStatus']}: {e.get('ResourceStatusReason', '')}" for e in failed
        )

    def _waiter_config(self) -> dict[str, int]:
        delay = max(1, round(self._poll))
        return {"Delay": delay, "MaxAttempts": max(1, 3600 // delay)}

    def _say(self, text: str) -> None:
        self._out.write(f"letterbox-deploy: {text}\n")


# --- running chalice --------------------------------------------------------------------------------


Runner = Callable[[Sequence[str], Mapping[str, str], Path, bool], str]


def run_command(args: Sequence[str], env: Mapping[str, str], cwd: Path, capture: bool) -> str:
    """Run a command; its output goes to the terminal unless captured. A failure is a DeployError."""
    result = subprocess.run(  # noqa: S603 (the project's own chalice, arguments built here)
        list(args), env=dict(env), cwd=cwd, text=True, stdout=subprocess.PIPE if capture else None, check=False
    )
    if result.returncode != 0:
        raise DeployError(f"{' '.join(args[:3])} failed (exit status {result.returncode})")
    return result.stdout or ""


def chalice_command() -> list[str]:
    """The chalice CLI, deploying the Lambda runtime deploy/chalice_cli.py chooses."""
    return [sys.executable, "-m", "deploy.chalice_cli"]


# --- the two commands ---------------------------------------------------------------------------------


@dataclass
class Options:
    stage: str
    project_dir: Path = ROOT
    sender: str = ""
    organizers: str = ""
    origins: str = ""
    form_options: str = ""
    stack_parameters: dict[str, str] = field(default_factory=dict)
    delete_data: bool = False
    yes: bool = False


class Deployment:
    """One stage of letterbox in one AWS account and region."""

    def __init__(
        self,
        options: Options,
        session: Any,
        env: Mapping[str, str],
        *,
        run: Runner = run_command,
        out: TextIO = sys.stdout,
        confirm: Callable[[str], str] = input,
        poll_seconds: float = 5.0,
    ) -> None:
        self.options = options
        self.stage = options.stage
        self.session = session
        self.env = dict(env)
        self.run = run
        self.out = out
        self.confirm = confirm
        self.stacks = StackDeployer(session.client("cloudformation"), out, poll_seconds)
        self.config_path = options.project_dir / ".chalice" / "config.json"
        self.template_path = options.project_dir / "infra" / "template.yaml"

    # deploy

    def deploy(self) -> str:
        """Deploy or update everything; return the API's URL."""
        config = stage_config.load(self.config_path)
        # Everything that can be checked without AWS is checked first.
        settings = self._settings(config, "(looked up in SSM below)")
        declared = template_parameters(self.template_path)
        given = self._stack_parameters(config, settings, declared)
        self._check_runtime_settings(config, settings)

        region, account = self._whereabouts()
        secret_parameter = self._secret_parameter(config)
        settings = dataclasses.replace(settings, secret_parameter=secret_parameter)
        name = stack_name(self.stage)
        if self.stacks.describe(name) is None:
            self._clear_leftover_bucket(BUCKET_NAME.format(stage=self.stage, account=account, region=region))
        stack = self.stacks.deploy(name, self.template_path.read_text(encoding="utf-8"), declared, given)

        rendered = stage_config.render(config, self.stage, stack.outputs, settings)
        context = policies.PolicyContext.from_stack(
            self.stage, stack.outputs, stack.parameters, settings.sender, secret_parameter
        )
        self._write(self.config_path, stage_config.dumps(rendered))
        for file_name, document in policies.render_policies(context).items():
            self._write(self.config_path.parent / file_name, policies.dumps(document))

        chalice_env = self._chalice_env(stack.outputs["NotifyQueueName"], region)
        self.run([*chalice_command(), "deploy", "--stage", self.stage], chalice_env, self.options.project_dir, False)
        url = self.run([*chalice_command(), "url", "--stage", self.stage], chalice_env, self.options.project_dir, True)
        self._report_sending(settings.sender)
        self._say(f"deployed stage {self.stage}: {url.strip()}")
        self._say(
            "after a first deploy, the organizers get an email from AWS Notifications to confirm "
            "(the dead-letter alarm), and the sender one from SES to verify the address"
        )
        return url.strip()

    def _settings(self, config: Mapping[str, Any], secret_parameter: str) -> StageSettings:
        current = stage_config.environment(config, self.stage, "api_handler")

        def pick(flag: str, name: str) -> str:
            return (flag or self.env.get(name, "") or current.get(name, "")).strip()

        sitekey = pick("", "HCAPTCHA_SITEKEY")
        if self.stage in PRODUCTION_STAGES and sitekey == HCAPTCHA_TEST_SITEKEY:
            raise DeployError("HCAPTCHA_SITEKEY is hCaptcha's public test key: use your site's key")
        settings = StageSettings(
            sender=pick(self.options.sender, "LETTERBOX_SENDER"),
            organizers=tuple(
                o.strip() for o in pick(self.options.organizers, "LETTERBOX_ORGANIZERS").split(",") if o.strip()
            ),
            origins=tuple(pick(self.options.origins, "LETTERBOX_ORIGINS").split()),
            sitekey=sitekey,
            secret_parameter=secret_parameter,
            form_options=pick(self.options.form_options, "LETTERBOX_FORM_OPTIONS"),
        )
        try:
            settings.check()
        except StageConfigError as error:
            raise DeployError(str(error)) from None
        if not settings.origins:
            self._say("warning: no LETTERBOX_ORIGINS: no web page may post to the forms until you add one")
        return settings

    def _stack_parameters(
        self, config: Mapping[str, Any], settings: StageSettings, declared: Mapping[str, Any]
    ) -> dict[str, str]:
        timeout = str(stage_config.function_setting(config, self.stage, "notify", "lambda_timeout"))
        allowed = [str(v) for v in declared["NotifyFunctionTimeout"]["AllowedValues"]]
        if timeout not in allowed:
            raise DeployError(
                f"the notify function's lambda_timeout ({timeout}) must be one of {', '.join(allowed)} seconds: "
                "the queue's visibility timeout is looked up from it"
            )
        return {
            **self.options.stack_parameters,
            "Stage": self.stage,
            "SenderAddress": settings.sender,
            "OrganizerEmails": ",".join(settings.organizers),
            "UploadOrigins": ",".join(settings.origins),
            "NotifyFunctionTimeout": timeout,
        }

    def _check_runtime_settings(self, config: Mapping[str, Any], settings: StageSettings) -> None:
        """Build the functions' Settings as they will at start, so a bad origin fails now, not in Lambda."""
        outputs = {"BucketName": "bucket-to-be-created"}
        rendered = stage_config.render(config, self.stage, outputs, settings)
        for function in ("api_handler", "notify"):
            env = stage_config.environment(rendered, self.stage, function)
            if env.pop("HCAPTCHA_SECRET_PARAMETER", ""):
                env["HCAPTCHA_SECRET"] = "placeholder-for-the-check"  # noqa: S105 (not a secret)
            try:
                Settings.from_env(env)
            except ConfigError as error:
                raise DeployError(f"{function}: {error}") from None

    def _whereabouts(self) -> tuple[str, str]:
        region = self.session.region_name
        if not region:
            raise DeployError("no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION, or --region)")
        try:
            account = str(self.session.client("sts").get_caller_identity()["Account"])
        except (ClientError, BotoCoreError) as error:
            raise DeployError(f"no usable AWS credentials: {error}") from None
        return str(region), account

    def _clear_leftover_bucket(self, bucket: str) -> None:
        """A bucket kept by an earlier destroy (or a failed first create) would stop the stack's creation."""
        s3 = self.session.client("s3")
        try:
            s3.head_bucket(Bucket=bucket)
        except ClientError:
            return  # not there (or not ours: CloudFormation will say so)
        if _object_count(s3, bucket, limit=1):
            raise DeployError(
                f"bucket {bucket} is left from an earlier deployment and still holds submissions. "
                f"Copy them out (aws s3 sync s3://{bucket} ./{bucket}) and delete it with "
                f"`make destroy STAGE={self.stage} DELETE_DATA=1`, then deploy again"
            )
        self._say(f"deleting the empty bucket {bucket} left by an earlier deployment")
        s3.delete_bucket(Bucket=bucket)

    def _secret_parameter(self, config: Mapping[str, Any]) -> str:
        """The SSM parameter that holds the hCaptcha secret; stores HCAPTCHA_SECRET there if given."""
        ssm = self.session.client("ssm")
        named = self.env.get("HCAPTCHA_SECRET_PARAMETER", "").strip()
        secret = self.env.get("HCAPTCHA_SECRET", "").strip()
        if named and secret:
            raise DeployError("set HCAPTCHA_SECRET or HCAPTCHA_SECRET_PARAMETER, not both")
        if secret:
            if self.stage in PRODUCTION_STAGES and secret == HCAPTCHA_TEST_SECRET:
                raise DeployError("HCAPTCHA_SECRET is hCaptcha's public test secret: use your account's secret")
            name = SECRET_PARAMETER.format(stage=self.stage)
            ssm.put_parameter(
                Name=name,
                Value=secret,
                Type="SecureString",
                Overwrite=True,
                Description=f"letterbox {self.stage}: hCaptcha secret (read by the API function)",
            )
            self._say(f"stored the hCaptcha secret in SSM as {name} (SecureString)")
            return name
        current = self._own_setting(config, "HCAPTCHA_SECRET_PARAMETER")
        for name in (named, current, SECRET_PARAMETER.format(stage=self.stage)):
            if name and self._secure_parameter_exists(ssm, name):
                return name
        raise DeployError(
            "no hCaptcha secret: set HCAPTCHA_SECRET (stored in SSM for you) or HCAPTCHA_SECRET_PARAMETER "
            "(the name of an SSM SecureString parameter you created)"
        )

    def _secure_parameter_exists(self, ssm: Any, name: str) -> bool:
        try:
            parameter = ssm.get_parameter(Name=name, WithDecryption=False)["Parameter"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ParameterNotFound":
                return False
            raise
        if parameter.get("Type") != "SecureString":
            raise DeployError(f"SSM parameter {name} must be a SecureString, not a {parameter.get('Type')}")
        return True

    def _chalice_env(self, queue_name: str, region: str) -> dict[str, str]:
        # app.py reads LETTERBOX_NOTIFY_QUEUE when Chalice loads it, to subscribe notify to the queue.
        env = {k: v for k, v in self.env.items() if k not in ("HCAPTCHA_SECRET",)}
        python_path = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        return {**env, "LETTERBOX_NOTIFY_QUEUE": queue_name, "AWS_DEFAULT_REGION": region, "PYTHONPATH": python_path}

    def _report_sending(self, sender: str) -> None:
        """Say what still stops SES from sending: an unverified sender, the sandbox."""
        ses = self.session.client("sesv2")
        try:
            if not ses.get_email_identity(EmailIdentity=sender).get("VerifiedForSendingStatus"):
                self._say(f"SES: {sender} is not verified yet: click the link SES mailed to it")
        except (ClientError, BotoCoreError):
            self._say(f"SES: could not check whether {sender} is verified; see the SES console")
        try:
            if not ses.get_account().get("ProductionAccessEnabled"):
                self._say(
                    "SES: this account is in the SES sandbox and mails only verified addresses; "
                    "request production access (README, Deploy to AWS)"
                )
        except (ClientError, BotoCoreError):
            self._say("SES: could not check whether the account is out of the SES sandbox; see the SES console")

    # destroy

    def destroy(self) -> None:
        name = stack_name(self.stage)
        stack = self.stacks.describe(name)
        region, account = self._whereabouts()
        bucket = (stack.outputs.get("BucketName") if stack else None) or BUCKET_NAME.format(
            stage=self.stage, account=account, region=region
        )
        if self.options.delete_data:
            self._confirm_deletion(bucket)
        deployed = self.options.project_dir / ".chalice" / "deployed" / f"{self.stage}.json"
        if deployed.exists():
            queue = stack.outputs.get("NotifyQueueName", "") if stack else f"{APP_NAME}-{self.stage}-notify"
            self.run(
                [*chalice_command(), "delete", "--stage", self.stage],
                self._chalice_env(queue, region),
                self.options.project_dir,
                False,
            )
        else:
            self._say(f"no Chalice deployment of stage {self.stage} recorded ({deployed.name}): nothing to delete")
        if stack is not None:
            self._say(f"deleting stack {name}")
            self.stacks.delete(name)
        self._delete_stored_secret()
        kept = self._bucket_fate(bucket)
        self._say(f"stage {self.stage} is torn down. Kept: {kept}; .chalice/config.json (the stage's settings).")

    def _confirm_deletion(self, bucket: str) -> None:
        if self.options.yes:
            return
        answer = self.confirm(f"This deletes bucket {bucket} and every submission in it. Type its name to go on: ")
        if answer.strip() != bucket:
            raise DeployError("not confirmed: nothing was deleted")

    def _delete_stored_secret(self) -> None:
        """Delete the SSM parameter this script created; one the operator named stays theirs."""
        config = stage_config.load(self.config_path)
        ours = SECRET_PARAMETER.format(stage=self.stage)
        named = self._own_setting(config, "HCAPTCHA_SECRET_PARAMETER")
        if named and named != ours:
            self._say(f"kept SSM parameter {named}: you created it")
            return
        try:
            self.session.client("ssm").delete_parameter(Name=ours)
            self._say(f"deleted SSM parameter {ours}")
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ParameterNotFound":
                raise

    def _bucket_fate(self, bucket: str) -> str:
        s3 = self.session.client("s3")
        try:
            s3.head_bucket(Bucket=bucket)
        except ClientError:
            return "no bucket (there was none)"
        if not self.options.delete_data:
            count = _object_count(s3, bucket, limit=1000)
            held = f"{count}{'+' if count >= 1000 else ''} objects"
            return (
                f"bucket {bucket} ({held}: submissions, attachments, markers); "
                f"delete it with `make destroy STAGE={self.stage} DELETE_DATA=1`"
            )
        removed = _empty_bucket(s3, bucket)
        s3.delete_bucket(Bucket=bucket)
        self._say(f"deleted bucket {bucket} and {removed} object versions in it")
        return "no bucket (deleted, as asked)"

    # shared

    def _own_setting(self, config: Mapping[str, Any], name: str) -> str:
        """A setting of this stage's own configuration (not one a new stage would copy from prod)."""
        if self.stage not in config.get("stages", {}):
            return ""
        return stage_config.environment(config, self.stage, "api_handler").get(name, "")

    def _write(self, path: Path, text: str) -> None:
        if path.exists() and path.read_text(encoding="utf-8") == text:
            return
        path.write_text(text, encoding="utf-8")
        self._say(f"wrote {path.relative_to(self.options.project_dir)}")

    def _say(self, text: str) -> None:
        self.out.write(f"letterbox-deploy: {text}\n")


def _object_count(s3: Any, bucket: str, limit: int) -> int:
    """Object versions and delete markers in a bucket, counted up to `limit`."""
    count = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        count += len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))
        if count >= limit:
            break
    return count


def _empty_bucket(s3: Any, bucket: str) -> int:
    """Delete every object version and delete marker (a versioned bucket keeps old ones)."""
    removed = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        entries = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        for start in range(0, len(entries), 1000):
            chunk = entries[start : start + 1000]
            answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
            if answer.get("Errors"):
                raise DeployError(f"could not delete {len(answer['Errors'])} objects from {bucket}")
            removed += len(chunk)
    return removed


# --- command line --------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m deploy", description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    deploy = commands.add_parser("deploy", help="create or update the stage (safe to run again)")
    destroy = commands.add_parser("destroy", help="tear the stage down; the bucket is kept unless --delete-data")
    for command in (deploy, destroy):
        command.add_argument("--stage", default="prod")
        command.add_argument("--region", help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's)")
        command.add_argument("--project-dir", type=Path, default=ROOT, help=argparse.SUPPRESS)
    deploy.add_argument("--sender", default="", help="the address SES sends from (LETTERBOX_SENDER)")
    deploy.add_argument("--organizers", default="", help="comma-separated addresses (LETTERBOX_ORGANIZERS)")
    deploy.add_argument("--origins", default="", help="space-separated origins allowed to post (LETTERBOX_ORIGINS)")
    deploy.add_argument("--form-options", default="", help="per-form JSON (LETTERBOX_FORM_OPTIONS)")
    deploy.add_argument("--retention-days", help="days to keep submissions; 0 keeps them (stack parameter)")
    deploy.add_argument("--log-retention-days", help="days to keep the functions' logs (stack parameter)")
    deploy.add_argument("--kms-key-arn", help="encrypt the bucket with this KMS key; empty for SSE-S3")
    deploy.add_argument("--versioning", choices=["Enabled", "Suspended"], help="bucket versioning")
    destroy.add_argument("--delete-data", action="store_true", help="also empty and delete the bucket")
    destroy.add_argument("--yes", action="store_true", help="do not ask before deleting the bucket")
    return parser


def options_from(args: argparse.Namespace) -> Options:
    given = {
        "RetentionDays": getattr(args, "retention_days", None),
        "LogRetentionDays": getattr(args, "log_retention_days", None),
        "KmsKeyArn": getattr(args, "kms_key_arn", None),
        "Versioning": getattr(args, "versioning", None),
    }
    return Options(
        stage=args.stage,
        project_dir=args.project_dir,
        sender=getattr(args, "sender", ""),
        organizers=getattr(args, "organizers", ""),
        origins=getattr(args, "origins", ""),
        form_options=getattr(args, "form_options", ""),
        stack_parameters={k: v for k, v in given.items() if v is not None},
        delete_data=getattr(args, "delete_data", False),
        yes=getattr(args, "yes", False),
    )


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = _parser().parse_args(argv)
    env = dict(os.environ if env is None else env)
    region = args.region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None
    session = boto3.session.Session(region_name=region)
    if not session.region_name:
        sys.stderr.write("letterbox-deploy: no AWS region: set AWS_REGION (or --region, or one in your AWS profile)\n")
        return 1
    deployment = Deployment(options_from(args), session, env)
    try:
        if args.command == "deploy":
            deployment.deploy()
        else:
            deployment.destroy()
    except (DeployError, StageConfigError, policies.PolicyError) as error:
        sys.stderr.write(f"letterbox-deploy: {error}\n")
        return 1
    return 0
