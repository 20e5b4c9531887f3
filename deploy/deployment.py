"""`make deploy`: check the settings, deploy the stack, write the stage's configuration, run `chalice deploy`.

The steps are listed in deploy/cli.py's docstring.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core.config_file import ConfigFile
from chalicelib.core.config_keys import ConfigError
from chalicelib.core.form_choices import FormChoices
from chalicelib.core.settings import HCAPTCHA_TEST_SECRET, HCAPTCHA_TEST_SITEKEY, Settings
from chalicelib.core.signing_keys import new_signing_key, parameter_name

from . import config_check, policies, stage_config, throttle
from .stack import DeployError, StackDeployer, stack_name, template_parameters
from .stage_config import StageConfigError, StageSettings

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"
SECRET_PARAMETER = "/letterbox/{stage}/hcaptcha-secret"  # noqa: S105 (a name, not a secret)
# The bucket's name in infra/template.yaml (a test holds the two together).
BUCKET_NAME = "letterbox-{stage}-{account}-{region}"
# The dead-letter alarm's subscriptions in infra/template.yaml (OrganizerEmails).
ALARM_SUBSCRIBERS = 3


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


# --- the deploy command -------------------------------------------------------------------------------


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
        # Everything that can be checked without AWS is checked first, letterbox.toml included.
        settings = self._settings(config, "(looked up in SSM below)")
        planned = self._render(config, {"BucketName": "bucket-to-be-created"}, settings)  # the stage, before the stack
        choices = self._choices(planned, settings)
        declared = template_parameters(self.template_path)
        given = self._stack_parameters(config, settings, choices, declared)
        limits = throttle.Throttle.of(self._check_runtime_settings(planned), self.stage)

        region, account = self._whereabouts()
        secret_parameter = self._secret_parameter(config) if choices.needs_hcaptcha else ""
        self._ensure_signing_key()
        settings = dataclasses.replace(settings, secret_parameter=secret_parameter)
        name = stack_name(self.stage)
        if self.stacks.describe(name) is None:
            self._clear_leftover_bucket(BUCKET_NAME.format(stage=self.stage, account=account, region=region))
        stack = self.stacks.deploy(name, self.template_path.read_text(encoding="utf-8"), declared, given)

        rendered = self._render(config, stack.outputs, settings)
        context = policies.PolicyContext.from_stack(
            self.stage, stack.outputs, stack.parameters, settings.sender, secret_parameter
        )
        self._write(self.config_path, stage_config.dumps(rendered))
        for file_name, document in policies.render_policies(context).items():
            self._write(self.config_path.parent / file_name, policies.dumps(document))

        chalice_env = self._chalice_env(stack.outputs["NotifyQueueName"], region)
        deploy_command = [*chalice_command(), "deploy", "--stage", self.stage]
        self.run(deploy_command, chalice_env, self.options.project_dir, False)
        url = self.run([*chalice_command(), "url", "--stage", self.stage], chalice_env, self.options.project_dir, True)
        if url.strip() != settings.api_url and not self.env.get("LETTERBOX_API_URL", "").strip():
            # A first deploy (or a new REST API): the notify function learns the URL for the review links.
            settings = dataclasses.replace(settings, api_url=url.strip())
            self._write(self.config_path, stage_config.dumps(self._render(config, stack.outputs, settings)))
            self._say("deploying once more, so that the emails' review links lead to this API")
            self.run(deploy_command, chalice_env, self.options.project_dir, False)
        api = throttle.deployed_rest_api(self.options.project_dir, self.stage)
        throttle.apply(self.session.client("apigateway"), api, limits, self._say)
        self._report_sending(settings.sender)
        self._say(f"deployed stage {self.stage}: {url.strip()}")
        self._say(
            "after a first deploy, the organizers get an email from AWS Notifications to confirm "
            "(the dead-letter alarm), and the sender one from SES to verify the address"
        )
        return url.strip()

    def _settings(self, config: Mapping[str, Any], secret_parameter: str) -> StageSettings:
        current = stage_config.environment(config, self.stage, "api_handler")

        def given(flag: str, name: str) -> str:
            return (flag or self.env.get(name, "")).strip()

        def pick(flag: str, name: str) -> str:
            return given(flag, name) or current.get(name, "").strip()

        # Every deployed stage, whatever its name, is held to production's rules.
        sitekey = pick("", "HCAPTCHA_SITEKEY")
        if sitekey == HCAPTCHA_TEST_SITEKEY:
            raise DeployError("HCAPTCHA_SITEKEY is hCaptcha's public test key: use your site's key")
        if self.env.get("HCAPTCHA_SECRET", "").strip() == HCAPTCHA_TEST_SECRET:
            raise DeployError("HCAPTCHA_SECRET is hCaptcha's public test secret: use your account's secret")
        return StageSettings(
            sender=pick(self.options.sender, "LETTERBOX_SENDER"),
            # Overrides of letterbox.toml, for every form: only when given (one already in config.json stays).
            organizers=_words(given(self.options.organizers, "LETTERBOX_ORGANIZERS")),
            origins=_words(given(self.options.origins, "LETTERBOX_ORIGINS")),
            sitekey=sitekey,
            secret_parameter=secret_parameter,
            form_options=pick(self.options.form_options, "LETTERBOX_FORM_OPTIONS"),
            # Given (an API behind a domain of its own), or the REST API an earlier deploy made.
            api_url=given("", "LETTERBOX_API_URL") or self._deployed_api_url(),
        )

    def _deployed_api_url(self) -> str:
        """The REST API's URL that `chalice deploy` recorded for this stage; "" before the first deploy."""
        path = self.options.project_dir / ".chalice" / "deployed" / f"{self.stage}.json"
        try:
            resources = json.loads(path.read_text(encoding="utf-8")).get("resources", [])
        except (OSError, ValueError):
            return ""
        urls = [str(r.get("rest_api_url", "")) for r in resources if r.get("resource_type") == "rest_api"]
        return urls[0] if urls else ""

    def _render(self, config: Mapping[str, Any], outputs: Mapping[str, str], settings: StageSettings) -> dict[str, Any]:
        try:
            return stage_config.render(config, self.stage, outputs, settings)
        except StageConfigError as error:
            raise DeployError(str(error)) from None

    def _choices(self, rendered: Mapping[str, Any], settings: StageSettings) -> FormChoices:
        """Every form's options as the stage will read them (letterbox.toml under the stage's variables), checked."""
        api_handler_env = stage_config.environment(rendered, self.stage, "api_handler")
        variables = {**api_handler_env, "LETTERBOX_CONFIG": self.env.get("LETTERBOX_CONFIG", "")}
        try:
            choices = config_check.stage_choices(self.options.project_dir, self.stage, variables)
            settings.check(choices)
        except (ConfigError, StageConfigError) as error:
            raise DeployError(str(error)) from None
        if not choices.all_origins:
            self._say(
                f"warning: stage {self.stage} allows no origins ({choices.source}): "
                "no web page may post to the forms until you add one to letterbox.toml"
            )
        given = {
            name
            for name, value in [("LETTERBOX_ORGANIZERS", settings.organizers), ("LETTERBOX_ORIGINS", settings.origins)]
            if value
        }
        for name in choices.overridden_by:
            # Not given this time: config.json holds it (an earlier deploy wrote it), and it still wins.
            where = "" if name in given else " (set in .chalice/config.json: remove it there to let the file decide)"
            self._say(f"{name} overrides letterbox.toml for every form of stage {self.stage}{where}")
        return choices

    def _stack_parameters(
        self,
        config: Mapping[str, Any],
        settings: StageSettings,
        choices: FormChoices,
        declared: Mapping[str, Any],
    ) -> dict[str, str]:
        timeout = str(stage_config.function_setting(config, self.stage, "notify", "lambda_timeout"))
        allowed = [str(v) for v in declared["NotifyFunctionTimeout"]["AllowedValues"]]
        if timeout not in allowed:
            raise DeployError(
                f"the notify function's lambda_timeout ({timeout}) must be one of {', '.join(allowed)} seconds: "
                "the queue's visibility timeout is looked up from it"
            )
        subscribers = choices.all_organizers[:ALARM_SUBSCRIBERS]
        if len(choices.all_organizers) > ALARM_SUBSCRIBERS:
            self._say(
                f"the dead-letter alarm goes to the first {ALARM_SUBSCRIBERS} organizers: {', '.join(subscribers)}"
            )
        return {
            **self.options.stack_parameters,
            "Stage": self.stage,
            "SenderAddress": settings.sender,
            "OrganizerEmails": ",".join(subscribers),
            "UploadOrigins": ",".join(choices.all_origins),  # the bucket's CORS rule: every form's sites
            "NotifyFunctionTimeout": timeout,
        }

    def _check_runtime_settings(self, rendered: Mapping[str, Any]) -> ConfigFile:
        """Build the functions' Settings as they will at start, so a bad origin fails now, not in Lambda.

        No local marker reaches a rendered stage (stage_config.check_not_local): test keys are refused here.
        """
        try:
            config = config_check.project_config(self.options.project_dir)
        except ConfigError as error:
            raise DeployError(str(error)) from None
        forms = config_check.form_names(self.options.project_dir)
        for function in stage_config.FUNCTIONS:
            env = stage_config.environment(rendered, self.stage, function)
            if env.pop("HCAPTCHA_SECRET_PARAMETER", ""):
                env["HCAPTCHA_SECRET"] = "placeholder-for-the-check"  # noqa: S105 (not a secret)
            try:
                Settings.from_env(env, config=config, form_names=forms)
            except ConfigError as error:
                raise DeployError(f"{function}: {error}") from None
        return config

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

    def _ensure_signing_key(self) -> None:
        """The stage's signing key in SSM: made on the first deploy, never replaced (a new key voids every link)."""
        ssm = self.session.client("ssm")
        name = parameter_name(self.stage)
        if self._secure_parameter_exists(ssm, name):
            return
        ssm.put_parameter(
            Name=name,
            Value=new_signing_key(),
            Type="SecureString",
            Overwrite=False,
            Description=f"letterbox {self.stage}: signing key (captcha challenges, review links)",
        )
        self._say(f"made the stage's signing key in SSM as {name} (SecureString)")

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

    # shared (Teardown uses these too)

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


def _words(text: str) -> tuple[str, ...]:
    """A list as the variables write it: separated by commas or spaces."""
    return tuple(word for word in re.split(r"[\s,]+", text) if word)


def _object_count(s3: Any, bucket: str, limit: int) -> int:
    """Object versions and delete markers in a bucket, counted up to `limit`."""
    count = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        count += len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))
        if count >= limit:
            break
    return count
