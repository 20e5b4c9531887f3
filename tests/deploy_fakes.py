"""What the deploy tests share: a stage's stack outputs and settings, and stand-ins for CloudFormation and chalice."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import boto3

from deploy import policies, stage_config
from deploy.deployment import Deployment, Options
from deploy.stack import Stack
from deploy.stage_config import StageSettings
from deploy.teardown import Teardown
from devstack.infra import apply_template
from infra.template import load_template
from tests.conftest import TEMPLATE

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT, REGION = "123456789012", "us-east-1"
SENDER = "letterbox@campaign.example"
SITEKEY = "a1b2c3d4-0000-4000-8000-000000000000"
SECRET = "0xb0a5f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8"
OUTPUTS = {
    "BucketName": f"letterbox-prod-{ACCOUNT}-{REGION}",
    "NotifyQueueName": "letterbox-prod-notify",
    "NotifyQueueArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:letterbox-prod-notify",
    "NotifyQueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/letterbox-prod-notify",
    "DeadLetterQueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/letterbox-prod-notify-dlq",
    "AlarmTopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:letterbox-prod-alarms",
}
SETTINGS = StageSettings(
    sender=SENDER,
    organizers=("first@campaign.example", "second@campaign.example"),
    origins=("https://campaign.example", "https://www.campaign.example"),
    sitekey=SITEKEY,
    secret_parameter="/letterbox/prod/hcaptcha-secret",
)
KMS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0a1b2c3d-0000-4000-8000-000000000000"


def committed_config() -> dict[str, Any]:
    return stage_config.load(ROOT / ".chalice" / "config.json")


def context(**changes: str) -> policies.PolicyContext:
    parameters = {"KmsKeyArn": changes.pop("kms_key_arn", "")}
    secret = changes.pop("secret_parameter", SETTINGS.secret_parameter)
    return policies.PolicyContext.from_stack(
        changes.pop("stage", "prod"), {**OUTPUTS, **changes}, parameters, SENDER, secret
    )


def statements(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in document["Statement"]}


class LoaderStacks:
    """CloudFormation's stand-in: applies infra/template.yaml with devstack's loader (moto cannot run it)."""

    def __init__(self, declared: Mapping[str, Any]) -> None:
        self.declared = declared
        self.stacks: dict[str, Stack] = {}
        self.calls: list[tuple[str, str, dict[str, str]]] = []

    def describe(self, name: str) -> Stack | None:
        return self.stacks.get(name)

    def deploy(self, name: str, template_body: str, declared: Any, given: Mapping[str, str]) -> Stack:
        self.calls.append(("deploy", name, dict(given)))
        previous = self.stacks[name].parameters if name in self.stacks else {}
        defaults = {k: str(v.get("Default", "")) for k, v in self.declared.items()}
        parameters = {**defaults, **previous, **given}
        outputs = apply_template(TEMPLATE, parameters)
        self.stacks[name] = Stack(name, "CREATE_COMPLETE", outputs, parameters)
        return self.stacks[name]

    def delete(self, name: str) -> None:
        self.calls.append(("delete", name, {}))
        del self.stacks[name]


class FakeChalice:
    """Records the chalice commands the script runs (moto cannot import Chalice's REST API).

    `deploy` makes what chalice's first deploy of a stage makes for the deploy's next steps: a REST API with
    its API Gateway stage "api" (on moto), recorded in .chalice/deployed/STAGE.json.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], dict[str, str]]] = []

    def __call__(self, args: Sequence[str], env: Mapping[str, str], cwd: Path, capture: bool) -> str:
        self.calls.append((list(args), dict(env)))
        if "deploy" in args:
            _record_rest_api(cwd, args[args.index("--stage") + 1])
        if "url" in args:  # as chalice prints it: the URL its deploy recorded
            [resource] = json.loads((cwd / ".chalice" / "deployed" / f"{args[-1]}.json").read_text())["resources"]
            return f"{resource['rest_api_url']}\n"
        return ""

    def commands(self) -> list[list[str]]:
        return [args[3:] for args, _ in self.calls]  # after: python -m deploy.chalice_cli


def _record_rest_api(project: Path, stage: str) -> None:
    deployed = project / ".chalice" / "deployed" / f"{stage}.json"
    if deployed.exists():
        return  # chalice updates the API it made
    apigateway = boto3.client("apigateway", region_name=REGION)
    api_id = apigateway.create_rest_api(name=f"letterbox-{stage}")["id"]
    root = apigateway.get_resources(restApiId=api_id)["items"][0]["id"]
    apigateway.put_method(restApiId=api_id, resourceId=root, httpMethod="ANY", authorizationType="NONE")
    apigateway.put_integration(restApiId=api_id, resourceId=root, httpMethod="ANY", type="MOCK")
    apigateway.create_deployment(restApiId=api_id, stageName="api")
    url = f"https://{api_id}.execute-api.{REGION}.amazonaws.com/api/"
    resource = {"name": "rest_api", "resource_type": "rest_api", "rest_api_id": api_id, "rest_api_url": url}
    deployed.parent.mkdir(exist_ok=True)
    deployed.write_text(json.dumps({"resources": [resource], "schema_version": "2.0", "backend": "api"}))


def rest_api(project: Path, stage: str) -> tuple[str, str]:
    """The REST API the fake deploy made for `stage`: its id and its API Gateway stage."""
    [resource] = json.loads((project / ".chalice" / "deployed" / f"{stage}.json").read_text())["resources"]
    return resource["rest_api_id"], "api"


OPERATOR_ENV = {
    "LETTERBOX_SENDER": SENDER,
    "LETTERBOX_ORGANIZERS": "first@campaign.example, second@campaign.example",
    "LETTERBOX_ORIGINS": "https://campaign.example",
    "HCAPTCHA_SITEKEY": SITEKEY,
    "HCAPTCHA_SECRET": SECRET,
}
# The operator who leaves the forms' organizers and origins to letterbox.toml.
FILE_ENV = {k: v for k, v in OPERATOR_ENV.items() if k not in ("LETTERBOX_ORGANIZERS", "LETTERBOX_ORIGINS")}


def write_config(project: Path, text: str) -> None:
    """The project's letterbox.toml (vendor/letterbox.toml, which ships it, links to it)."""
    (project / "letterbox.toml").write_text(text, encoding="utf-8")


def recording_session() -> tuple[boto3.session.Session, list[str]]:
    """A session whose clients note every AWS call they make (the operation's name) before making it."""
    session = boto3.session.Session(region_name=REGION)
    calls: list[str] = []
    session.events.register("before-call", lambda model, **_: calls.append(model.name))
    return session, calls


Made = TypeVar("Made", bound=Deployment)


def deployment(
    project: Path, stage: str, env: Mapping[str, str], **options: Any
) -> tuple[Deployment, LoaderStacks, FakeChalice, io.StringIO]:
    return _made(Deployment, project, stage, env, **options)


def teardown(
    project: Path, stage: str, env: Mapping[str, str], **options: Any
) -> tuple[Teardown, LoaderStacks, FakeChalice, io.StringIO]:
    return _made(Teardown, project, stage, env, **options)


def _made(
    kind: type[Made], project: Path, stage: str, env: Mapping[str, str], **options: Any
) -> tuple[Made, LoaderStacks, FakeChalice, io.StringIO]:
    out, chalice = io.StringIO(), FakeChalice()
    answers = options.pop("answers", [])
    session = options.pop("session", None) or boto3.session.Session(region_name=REGION)
    made = kind(
        Options(stage=stage, project_dir=project, **options),
        session,
        env,
        run=chalice,
        out=out,
        confirm=lambda _prompt: answers.pop(0),
        poll_seconds=1,
    )
    stacks = LoaderStacks(load_template(TEMPLATE)["Parameters"])
    made.stacks = stacks  # type: ignore[assignment]
    return made, stacks, chalice, out


def files_under(directory: Path) -> Iterator[Path]:
    return (path for path in directory.rglob("*") if path.is_file())
