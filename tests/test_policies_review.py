"""The API's rights for the emailed review link: exactly what publishing and rejecting from it calls.

The calls are recorded while the link is used against the local AWS (a versioned bucket, so the
feed's rebuild purges versions and a take-down deletes them), then checked against the rendered policy.
"""

from __future__ import annotations

import json
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import boto3
import pytest
from chalice.test import Client

from app import app, notify
from chalicelib import runtime
from chalicelib.core import wall_feed
from chalicelib.core.record import SubmissionRecord
from chalicelib.core.signing_keys import PARAMETER_VARIABLE
from chalicelib.core.wall import entry_key
from deploy import policies
from devstack.infra import apply_template
from devstack.stack import put_signing_key
from devstack.worker import Outbox, QueueWorker
from tests.conftest import TEMPLATE
from tests.deploy_fakes import OUTPUTS, SENDER, context, statements
from tests.iam_simulator import CallRecorder, denied_calls
from tests.test_cli_commands import DAY_ONE, REPORT, store
from tests.test_wall_review import API_URL, link_of, post

STAGE = "policy-review"


def test_the_api_may_publish_and_decide_but_lists_only_the_wall_and_the_decisions() -> None:
    found = statements(policies.api_policy(context()))
    bucket = f"arn:aws:s3:::{OUTPUTS['BucketName']}"

    assert found["PublishTheWall"]["Action"] == ["s3:PutObject", "s3:DeleteObjectVersion"]
    assert found["PublishTheWall"]["Resource"] == [f"{bucket}/wall/*"]
    assert found["ListWallVersionsOnly"]["Action"] == ["s3:ListBucketVersions"]
    assert found["ListWallVersionsOnly"]["Condition"] == {"StringLike": {"s3:prefix": ["wall/*"]}}
    assert found["RecordDecisions"]["Action"] == ["s3:GetObject", "s3:PutObject"]
    assert found["RecordDecisions"]["Resource"] == [f"{bucket}/moderation/*"]
    assert found["ListDecisionsOnly"]["Condition"] == {"StringLike": {"s3:prefix": ["moderation/*"]}}
    # Never the right to delete a decision, nor any object outside wall/ by version.
    granted = [(a, r) for s in found.values() for a in s["Action"] for r in s["Resource"]]
    assert [r for a, r in granted if a == "s3:DeleteObjectVersion"] == [f"{bucket}/wall/*"]
    assert not [r for a, r in granted if a.startswith("s3:Delete") and "moderation" in r]
    notify_rights = statements(policies.notify_policy(context()))
    assert not {a for s in notify_rights.values() for a in s["Action"] if "Version" in a}


def test_the_review_link_calls_only_what_the_rendered_policies_allow(
    app_env: dict[str, str], recorder: CallRecorder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    outputs = apply_template(TEMPLATE, {"Stage": STAGE, "SenderAddress": SENDER, "Versioning": "Enabled"})
    bucket = outputs["BucketName"]
    boto3.client("sqs").purge_queue(QueueUrl=outputs["NotifyQueueUrl"])
    rendered = policies.render_policies(policies.PolicyContext.from_stack(STAGE, outputs, {}, SENDER, ""))
    api_policy, notify_policy = rendered[f"policy-{STAGE}-api.json"], rendered[f"policy-{STAGE}-notify.json"]
    for name, value in {
        "LETTERBOX_STAGE": STAGE,
        "LETTERBOX_BUCKET": bucket,
        "LETTERBOX_SENDER": SENDER,
        "LETTERBOX_ORGANIZERS": "first@campaign.example",
        "LETTERBOX_RETRY_DELAY_SECONDS": "0",
        "LETTERBOX_API_URL": API_URL,
        PARAMETER_VARIABLE: put_signing_key(STAGE),
    }.items():
        monkeypatch.setenv(name, value)
    runtime.reset()
    approved, rejected, stray = (store(bucket, DAY_ONE + timedelta(minutes=n), REPORT) for n in range(3))
    # A stray entry (a console run that stopped between the entry and its decision): the link's reject takes it down.
    s3 = boto3.client("s3")
    stray_entry = json.dumps(wall_feed.entry(stray.id, "2026-11-14T18:00:00Z", {"city": "Riga"}))
    s3.put_object(Bucket=bucket, Key=entry_key("action-report", stray.id), Body=stray_entry.encode())

    # The notify function signs the links (its signing key from SSM).
    outbox = Outbox(tmp_path / "outbox")
    worker = QueueWorker(boto3.client("sqs"), outputs["NotifyQueueName"], notify, outbox, 0)
    while worker.run_once():
        pass
    assert "ssm.GetParameter" in recorder.operations()
    assert denied_calls(recorder, notify_policy) == []
    paths = [link_of(_email(tmp_path, record)) for record in (approved, rejected, stray)]
    assert None not in paths

    recorder.calls.clear()
    runtime.reset()
    with Client(app, stage_name="test") as client:
        answers = [
            client.http.get(str(paths[0])).status_code,
            post(client, str(paths[0]), "approve").status_code,
            post(client, str(paths[0]), "approve").status_code,
            post(client, str(paths[1]), "reject").status_code,
            post(client, str(paths[2]), "reject").status_code,
        ]
    assert answers == [200, 200, 409, 200, 200]
    made = recorder.operations()
    assert {"s3.GetObject", "s3.PutObject", "s3.ListObjectsV2", "s3.ListObjectVersions", "s3.DeleteObjects"} <= made
    assert denied_calls(recorder, api_policy) == []


def _email(tmp_path: Path, record: SubmissionRecord) -> Any:
    return message_from_bytes((tmp_path / "outbox" / f"{record.id}.eml").read_bytes(), policy=policy.default)
