"""`make deploy` throttles the stage's REST API (deploy/throttle.py), checked over HTTP on the local AWS (moto)."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from deploy.stack import DeployError
from tests.deploy_fakes import FILE_ENV, OPERATOR_ENV, deployment, recording_session, rest_api, write_config

# The `project` fixture: a copy of the files `make deploy` reads and writes.
pytest_plugins = ["tests.deploy_project"]


def stage_limits(project: Path, stage: str) -> tuple[float, int]:
    api_id, stage_name = rest_api(project, stage)
    settings = boto3.client("apigateway").get_stage(restApiId=api_id, stageName=stage_name)["methodSettings"]["*/*"]
    return settings["throttlingRateLimit"], settings["throttlingBurstLimit"]


def test_the_stage_gets_the_default_limits(project: Path, aws_endpoint: str) -> None:
    made, _, _, out = deployment(project, "prod", OPERATOR_ENV)

    made.deploy()

    assert stage_limits(project, "prod") == (50.0, 100)
    assert "API Gateway stage api: throttled to 50 requests/s, burst 100" in out.getvalue()


def test_the_stage_gets_its_configured_limits_and_a_second_deploy_changes_nothing(
    project: Path, aws_endpoint: str
) -> None:
    write_config(
        project, 'organizers = ["anna@campaign.example"]\nthrottle_rate = 20\n[stages.prod]\nthrottle_burst = 30\n'
    )
    deployment(project, "prod", FILE_ENV)[0].deploy()
    assert stage_limits(project, "prod") == (20.0, 30)

    session, aws_calls = recording_session()
    made, _, _, out = deployment(project, "prod", FILE_ENV, session=session)
    made.deploy()

    assert "GetStage" in aws_calls
    assert "UpdateStage" not in aws_calls
    assert "throttled" not in out.getvalue()
    assert stage_limits(project, "prod") == (20.0, 30)


def test_a_changed_limit_is_applied_on_the_next_deploy(project: Path, aws_endpoint: str) -> None:
    deployment(project, "prod", OPERATOR_ENV)[0].deploy()
    write_config(project, (project / "letterbox.toml").read_text() + "\n[stages.prod]\nthrottle_rate = 7.5\n")

    session, aws_calls = recording_session()
    deployment(project, "prod", OPERATOR_ENV, session=session)[0].deploy()

    assert aws_calls.count("UpdateStage") == 1
    assert stage_limits(project, "prod") == (7.5, 100)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("throttle_rate = 20000\n", r"^letterbox\.toml line 2: throttle_rate: must be more than 0 and at most 10,000"),
        ("throttle_burst = 0\n", r"^letterbox\.toml line 2: throttle_burst: must be more than 0"),
        (
            "[forms.letter-copy]\nthrottle_rate = 5\n",
            r"^letterbox\.toml line 3: forms\.letter-copy\.throttle_rate: throttle_rate is set per stage",
        ),
    ],
)
def test_bad_limits_stop_the_deploy_before_anything_changes(
    project: Path, aws_endpoint: str, text: str, message: str
) -> None:
    write_config(project, 'organizers = ["anna@campaign.example"]\n' + text)
    before = (project / ".chalice" / "config.json").read_bytes()
    session, aws_calls = recording_session()
    made, stacks, chalice, _ = deployment(project, "prod", FILE_ENV, session=session)

    with pytest.raises(DeployError, match=message):
        made.deploy()

    assert aws_calls == []
    assert stacks.calls == []
    assert chalice.calls == []
    assert (project / ".chalice" / "config.json").read_bytes() == before
