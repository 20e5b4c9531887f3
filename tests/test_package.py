"""What `chalice package` builds is what AWS runs: it must hold the code and the schemas.

The prod stage is packaged from a copy of the project whose configuration and policies were
rendered the way `make deploy` renders them, from a stack's outputs; then cfn-lint checks the
template Chalice wrote, and the policy check walks its roles.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from deploy import policies, stage_config
from deploy.bytecode import runtime_python
from deploy.chalice_cli import DEFAULT_RUNTIME
from deploy.deployment import chalice_command
from deploy.stage_config import StageSettings

ROOT = Path(__file__).resolve().parent.parent
STAGE = "prod"
OUTPUTS = {
    "BucketName": "letterbox-prod-123456789012-us-east-1",
    # Not the name app.py falls back to (letterbox-dev-notify): the mapping must follow the stack.
    "NotifyQueueName": "letterbox-prod-notify",
    "NotifyQueueArn": "arn:aws:sqs:us-east-1:123456789012:letterbox-prod-notify",
    "NotifyQueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/letterbox-prod-notify",
    "DeadLetterQueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/letterbox-prod-notify-dlq",
    "AlarmTopicArn": "arn:aws:sns:us-east-1:123456789012:letterbox-prod-alarms",
}
SETTINGS = StageSettings(
    sender="letterbox@campaign.example",
    organizers=("first@campaign.example", "second@campaign.example"),
    origins=("https://campaign.example",),
    sitekey="a1b2c3d4-0000-4000-8000-000000000000",
    secret_parameter="/letterbox/prod/hcaptcha-secret",
)


def cfn_lint_command() -> list[str]:
    # cfnlint has no __main__ module, so `python -m cfnlint` does not run; call its entry point.
    script = Path(sys.executable).with_name("cfn-lint")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())"]


def rendered_project(destination: Path) -> dict[str, Any]:
    """A copy of what `chalice package` reads, configured as `make deploy` would; returns the policies."""
    for name in ("app.py", "requirements.txt", "letterbox.toml"):
        shutil.copy2(ROOT / name, destination / name)
    for name in ("chalicelib", "schemas", "vendor"):
        # vendor/schemas is a relative link to ../schemas: copied as a link, it still resolves.
        shutil.copytree(ROOT / name, destination / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    chalice_dir = destination / ".chalice"
    chalice_dir.mkdir()
    if (ROOT / ".chalice" / "deployments").is_dir():  # Chalice's cache of built dependencies
        shutil.copytree(ROOT / ".chalice" / "deployments", chalice_dir / "deployments")
    config = stage_config.render(stage_config.load(ROOT / ".chalice" / "config.json"), STAGE, OUTPUTS, SETTINGS)
    (chalice_dir / "config.json").write_text(stage_config.dumps(config), encoding="utf-8")
    context = policies.PolicyContext.from_stack(STAGE, OUTPUTS, {}, SETTINGS.sender, SETTINGS.secret_parameter)
    rendered = policies.render_policies(context)
    for file_name, document in rendered.items():
        (chalice_dir / file_name).write_text(policies.dumps(document), encoding="utf-8")
    return rendered


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    project = tmp_path_factory.mktemp("project")
    return project, rendered_project(project)


@pytest.fixture(scope="module")
def package_dir(rendered: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    project, _ = rendered
    out = tmp_path_factory.mktemp("package")
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "LETTERBOX_NOTIFY_QUEUE": OUTPUTS["NotifyQueueName"],
        "PYTHONPATH": str(ROOT),  # for deploy.chalice_cli, which `make deploy` runs chalice through
    }
    result = subprocess.run(
        [*chalice_command(), "package", "--stage", STAGE, str(out)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope="module")
def sam(package_dir: Path) -> dict[str, Any]:
    template: dict[str, Any] = json.loads((package_dir / "sam.json").read_text(encoding="utf-8"))
    return template


def test_the_deployment_package_holds_the_app_its_modules_and_every_schema(package_dir: Path) -> None:
    names = set(zipfile.ZipFile(package_dir / "deployment.zip").namelist())

    assert "app.py" in names
    modules = {path.relative_to(ROOT).as_posix() for path in (ROOT / "chalicelib").glob("*.py")}
    assert modules <= names
    schemas = {f"schemas/{path.name}" for path in (ROOT / "schemas").glob("*.json")}
    assert schemas
    assert schemas <= names


def test_the_package_holds_the_altcha_library_for_forms_on_altcha(package_dir: Path) -> None:
    names = set(zipfile.ZipFile(package_dir / "deployment.zip").namelist())

    assert {"altcha/__init__.py", "altcha/v2.py", "chalicelib/intake/altcha_challenges.py"} <= names


def test_the_packaged_schemas_are_the_repository_schemas(package_dir: Path) -> None:
    archive = zipfile.ZipFile(package_dir / "deployment.zip")
    for path in (ROOT / "schemas").glob("*.json"):
        assert archive.read(f"schemas/{path.name}") == path.read_bytes()


def test_the_package_holds_letterbox_toml_next_to_app_py(package_dir: Path) -> None:
    # vendor/letterbox.toml links to ../letterbox.toml: settings.DEFAULT_CONFIG finds it at the package root.
    archive = zipfile.ZipFile(package_dir / "deployment.zip")
    assert archive.read("letterbox.toml") == (ROOT / "letterbox.toml").read_bytes()


def test_functions_run_on_a_supported_runtime_with_dependencies_built_for_it(
    sam: dict[str, Any], package_dir: Path
) -> None:
    # Chalice alone would deploy python3.11 (this interpreter), on Amazon Linux 2: see deploy/chalice_cli.py.
    runtimes = {r["Properties"]["Runtime"] for r in sam["Resources"].values() if "Runtime" in r.get("Properties", {})}
    assert runtimes == {DEFAULT_RUNTIME}
    abi = "cpython-" + DEFAULT_RUNTIME.removeprefix("python").replace(".", "")
    names = zipfile.ZipFile(package_dir / "deployment.zip").namelist()
    compiled = [name for name in names if name.endswith(".so")]
    assert compiled  # rpds-py, under jsonschema; pyrage
    # Built for the runtime's interpreter, or for the stable ABI (pyrage: one abi3 wheel for every CPython).
    assert all(abi in name or name.endswith(".abi3.so") for name in compiled), compiled
    with zipfile.ZipFile(package_dir / "deployment.zip") as package:
        stable = [name for name in package.namelist() if name.endswith(".dist-info/WHEEL")]
        tags = [line for name in stable for line in package.read(name).decode().splitlines() if "abi3" in line]
    # ...and for Lambda's Linux on x86_64, not this machine's wheel by chance.
    assert tags
    assert all(tag.endswith("_x86_64") and "manylinux" in tag for tag in tags), tags


def test_the_package_carries_bytecode_for_its_runtime_only_when_the_runtimes_python_wrote_it(
    package_dir: Path,
) -> None:
    names = zipfile.ZipFile(package_dir / "deployment.zip").namelist()
    compiled = [name for name in names if name.endswith(".pyc")]
    tag = "cpython-" + DEFAULT_RUNTIME.removeprefix("python").replace(".", "")
    if runtime_python(DEFAULT_RUNTIME) is None:
        assert compiled == []  # another version's bytecode would be ignored by the runtime: none is shipped
    else:
        assert f"__pycache__/app.{tag}.pyc" in compiled
        assert all(f".{tag}.pyc" in name for name in compiled)


def test_the_package_carries_no_development_tooling(package_dir: Path) -> None:
    names = zipfile.ZipFile(package_dir / "deployment.zip").namelist()
    for unwanted in ("moto/", "devstack/", "deploy/", "tests/", "boto3/", "botocore/", "playwright/"):
        assert not any(name.startswith(unwanted) for name in names), unwanted


def test_the_package_carries_no_policy_or_configuration(package_dir: Path) -> None:
    names = zipfile.ZipFile(package_dir / "deployment.zip").namelist()
    assert not any(name.startswith(".chalice") for name in names)


def test_the_packaged_template_passes_cfn_lint(package_dir: Path) -> None:
    # sam.json uses the SAM transform (AWS::Serverless::Function, ::Api); cfn-lint expands it.
    result = subprocess.run(
        [*cfn_lint_command(), str(package_dir / "sam.json")], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_notify_is_fed_by_the_queue_the_stack_created(sam: dict[str, Any]) -> None:
    events = sam["Resources"]["Notify"]["Properties"]["Events"]
    [source] = events.values()
    assert source["Type"] == "SQS"
    assert source["Properties"]["Queue"]["Fn::Sub"].endswith(f":{OUTPUTS['NotifyQueueName']}")
    assert source["Properties"]["BatchSize"] == 10
    # At most two notify functions at once by default: with LETTERBOX_SEND_RATE, a burst stays under SES's rate.
    assert source["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 2}


def test_each_function_has_its_own_role_with_exactly_the_rendered_policy(
    sam: dict[str, Any], rendered: tuple[Path, dict[str, Any]]
) -> None:
    _, files = rendered
    resources = sam["Resources"]
    functions = {"APIHandler": "api", "Notify": "notify", "Digests": "digests"}
    roles = {name: resources[name]["Properties"]["Role"]["Fn::GetAtt"][0] for name in functions}
    assert len(set(roles.values())) == len(functions)
    for function, policy in functions.items():
        [document] = resources[roles[function]]["Properties"]["Policies"]
        assert document["PolicyDocument"] == files[f"policy-{STAGE}-{policy}.json"]


def test_no_policy_in_the_packaged_template_grants_a_wildcard(sam: dict[str, Any]) -> None:
    documents = list(policies.template_policies(sam))
    assert len(documents) == 3  # the three roles' policies: api, notify, digests
    assert policies.check_template(sam, "sam.json") == []


def test_digests_run_every_quarter_hour_on_a_small_function(sam: dict[str, Any]) -> None:
    digests = sam["Resources"]["Digests"]["Properties"]
    assert (digests["MemorySize"], digests["Timeout"]) == (128, 30)
    [event] = digests["Events"].values()
    assert event["Type"] == "Schedule"
    assert event["Properties"]["Schedule"] == "rate(15 minutes)"
    # It only queues "digest due" messages: no captcha keys, no bucket-wide secrets.
    assert not {name for name in digests["Environment"]["Variables"] if name.startswith("HCAPTCHA_")}


def test_memory_timeout_and_environment_per_function(sam: dict[str, Any]) -> None:
    api = sam["Resources"]["APIHandler"]["Properties"]
    notify = sam["Resources"]["Notify"]["Properties"]
    assert (api["MemorySize"], api["Timeout"]) == (512, 28)
    assert (notify["MemorySize"], notify["Timeout"]) == (256, 60)
    api_env, notify_env = api["Environment"]["Variables"], notify["Environment"]["Variables"]
    assert api_env["LETTERBOX_BUCKET"] == notify_env["LETTERBOX_BUCKET"] == OUTPUTS["BucketName"]
    assert api_env["HCAPTCHA_SECRET_PARAMETER"] == SETTINGS.secret_parameter
    assert "HCAPTCHA_SECRET" not in api_env  # named, never given by value
    # The notify function verifies no captcha: it gets neither key nor the secret's name.
    assert notify_env["LETTERBOX_CAPTCHA"] == "off"
    assert not {name for name in notify_env if name.startswith("HCAPTCHA_")}
