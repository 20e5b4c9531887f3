"""The public wall, end to end on the local AWS: `letterbox wall ...` publishes, the API serves the feed."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from chalice.test import Client
from click.testing import Result

from app import app
from chalicelib import runtime
from chalicelib.core import ids, sealing
from chalicelib.core.record import SubmissionRecord
from chalicelib.core.storage import SubmissionStore
from chalicelib.core.wall import atom_key, entry_key, page_key
from devstack.infra import apply_template
from letterbox import devstate
from tests.conftest import CAMPAIGN_ORIGIN, TEMPLATE
from tests.test_cli_commands import DAY_ONE, REPORT, SENDER, as_json, empty_bucket, letterbox, store

PRIVATE = {
    "reporter": "Анна Секретова",
    "email": "anna.secret@example.net",
    "attachments": ["01KAX3Z8W6V1R2F7D9QH0M4N5Q"],
}
FILE_NAME = "лицо-без-размытия.pdf"
SECRETS = ("Анна Секретова", "anna.secret@example.net", "01KAX3Z8W6V1R2F7D9QH0M4N5Q", FILE_NAME, "лицо")
PUBLIC = ("kind", "date", "city", "country", "description", "links")


@pytest.fixture(scope="module")
def wall_stack(aws_endpoint: str) -> dict[str, str]:
    return apply_template(TEMPLATE, {"Stage": "wall", "SenderAddress": SENDER, "Versioning": "Enabled"})


@pytest.fixture
def local(
    wall_stack: dict[str, str], aws_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    empty_bucket(wall_stack["BucketName"])
    state = tmp_path / "letterbox-dev.json"
    devstate.write_state(aws_endpoint, wall_stack, state)
    monkeypatch.setenv(devstate.STATE_ENV, str(state))
    yield wall_stack["BucketName"]
    devstate.remove_state(state, aws_endpoint)


@pytest.fixture
def api(local: str, app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    monkeypatch.setenv("LETTERBOX_BUCKET", local)
    runtime.reset()
    with Client(app, stage_name="test") as client:
        yield client


def report(bucket: str, minutes: int = 0, **changes: Any) -> SubmissionRecord:
    data = {**REPORT, **PRIVATE, **changes}
    return store(bucket, DAY_ONE + timedelta(minutes=minutes), data, files=[(FILE_NAME, b"%PDF-1 face")])


def feed(api: Client, query: str = "", **headers: str) -> Any:
    return api.http.get(f"/forms/action-report/wall{query}", headers={"Origin": CAMPAIGN_ORIGIN, **headers})


def ids_in(response: Any) -> list[str]:
    return [item["id"] for item in json.loads(response.body)["entries"]]


def stored(bucket: str, key: str) -> bytes:
    return bytes(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def refused(result: Result) -> str:
    assert result.exit_code == 1, result.output
    return result.stderr


def test_an_approved_report_is_published_with_its_public_fields_only(local: str, api: Client) -> None:
    record = report(local)

    approved = letterbox("wall", "approve", record.id)

    assert approved.exit_code == 0, approved.output
    assert f"Published {record.id} on the wall of action-report" in approved.stdout
    response = feed(api)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == CAMPAIGN_ORIGIN
    assert response.headers["Cache-Control"] == "public, max-age=60"
    page = json.loads(response.body)
    [entry] = page["entries"]
    assert entry["id"] == record.id
    assert entry["fields"] == {name: REPORT[name] for name in PUBLIC}
    assert page["counts"] == {"entries": 1, "countries": 1, "kinds": {"picket": 1}}
    atom = api.http.get("/forms/action-report/wall.atom")
    assert atom.headers["Content-Type"].startswith("application/atom+xml")
    published = [
        stored(local, page_key("action-report", "all", 1)),
        stored(local, atom_key("action-report")),
        stored(local, entry_key("action-report", record.id)),
        response.body,
        atom.body,
        letterbox("wall", "list", "--json").stdout.encode(),
    ]
    for raw in published:
        text = raw.decode()
        assert "Берлин" in text
        for secret in SECRETS:
            assert secret not in text
        assert "consent_publish" not in text


def test_an_organizers_edit_is_what_is_published(local: str, api: Client) -> None:
    record = report(local)

    result = letterbox("wall", "approve", record.id, "--set", "city=Berlin-Mitte", "--set", "description=A picket.")

    assert result.exit_code == 0, result.output
    [entry] = json.loads(feed(api).body)["entries"]
    assert entry["fields"]["city"] == "Berlin-Mitte"
    assert entry["fields"]["description"] == "A picket."
    assert "Берлин" not in feed(api).body.decode()


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ("email=x@example.org", "'email' is not a public field of action-report"),
        ("reporter=Anna", "'reporter' is not a public field"),
        ('links=["javascript:alert(1)"]', "does not fit the form's field"),
    ],
)
def test_an_edit_of_a_field_that_is_not_public_is_refused(local: str, api: Client, setting: str, said: str) -> None:
    record = report(local)

    assert said in refused(letterbox("wall", "approve", record.id, "--set", setting))
    assert ids_in(feed(api)) == []


def test_a_report_without_consent_cannot_be_approved(local: str, api: Client) -> None:
    record = report(local, consent_publish=False)

    said = refused(letterbox("wall", "approve", record.id))

    assert "the supporter did not tick 'consent_publish'" in said
    assert "The organizers may publish this report" in said
    assert ids_in(feed(api)) == []


def test_pending_lists_consenting_undecided_reports_and_the_feed_never_names_them(local: str, api: Client) -> None:
    approved, rejected, waiting = (report(local, n) for n in range(3))
    silent = report(local, 3, consent_publish=False)
    assert letterbox("wall", "approve", approved.id).exit_code == 0
    result = letterbox("wall", "reject", rejected.id)
    assert result.exit_code == 0, result.output

    pending = as_json(letterbox("wall", "pending", "--json"))

    assert [item["id"] for item in pending] == [waiting.id]
    body = feed(api).body.decode() + api.http.get("/forms/action-report/wall.atom").body.decode()
    assert approved.id in body
    for hidden in (rejected.id, waiting.id, silent.id):
        assert hidden not in body
    assert json.loads(feed(api).body)["counts"]["entries"] == 1


def test_reject_and_remove_take_effect_in_the_feed_at_once(local: str, api: Client) -> None:
    first, second = report(local, 0), report(local, 1, city="Riga", country="Latvia", kind="banner")
    for record in (first, second):
        assert letterbox("wall", "approve", record.id).exit_code == 0
    assert ids_in(feed(api)) == [second.id, first.id]

    removed = letterbox("wall", "remove", first.id)
    assert removed.exit_code == 0, removed.output
    assert ids_in(feed(api)) == [second.id]
    assert letterbox("wall", "reject", second.id).exit_code == 0
    assert ids_in(feed(api)) == []
    assert json.loads(feed(api).body)["counts"] == {"entries": 0, "countries": 0, "kinds": {}}
    assert "is not on any wall" in refused(letterbox("wall", "remove", first.id))


def test_delete_takes_the_report_off_the_wall_and_every_feed_version(local: str, api: Client) -> None:
    record, other = report(local, 0), report(local, 1)
    for approved in (record, other):
        assert letterbox("wall", "approve", approved.id).exit_code == 0

    result = letterbox("delete", record.id, "--yes")

    assert result.exit_code == 0, result.output
    assert "its entry on the public wall" in result.stdout
    assert ids_in(feed(api)) == [other.id]
    s3 = boto3.client("s3")
    versions = s3.list_object_versions(Bucket=local, Prefix="wall/")
    for version in versions.get("Versions", []):
        raw = s3.get_object(Bucket=local, Key=version["Key"], VersionId=version["VersionId"])["Body"].read()
        assert record.id not in raw.decode()
    assert not s3.list_objects_v2(Bucket=local, Prefix=f"moderation/action-report/{record.id}").get("Contents")


def test_the_feed_answers_304_to_its_etag_and_pages_past_the_end_are_empty(local: str, api: Client) -> None:
    assert letterbox("wall", "approve", report(local).id).exit_code == 0
    first = feed(api)

    again = feed(api, **{"If-None-Match": first.headers["ETag"]})
    beyond = feed(api, "?page=2")

    assert again.status_code == 304
    assert again.body in (b"", "")
    assert beyond.status_code == 200
    assert json.loads(beyond.body)["entries"] == []
    assert json.loads(beyond.body)["counts"]["entries"] == 1
    assert feed(api, "?page=zero").status_code == 400


def test_an_empty_wall_is_an_empty_feed_and_a_form_without_a_wall_is_a_404(local: str, api: Client) -> None:
    empty = feed(api)

    assert empty.status_code == 200
    assert json.loads(empty.body)["entries"] == []
    assert api.http.get("/forms/letter-copy/wall").status_code == 404
    assert api.http.get("/forms/letter-copy/wall.atom").status_code == 404
    assert api.http.get("/forms/nope/wall").status_code == 404


def test_a_feed_request_costs_one_s3_get(local: str, api: Client) -> None:
    assert letterbox("wall", "approve", report(local).id).exit_code == 0
    calls: list[str] = []
    runtime.s3_client().meta.events.register("before-call.s3.*", lambda model, **_: calls.append(model.name))

    tag = feed(api).headers["ETag"]
    feed(api, **{"If-None-Match": tag})
    api.http.get("/forms/action-report/wall.atom")

    assert calls == ["GetObject", "GetObject", "GetObject"]


def test_an_encrypted_report_is_published_only_when_opened_with_the_organizers_key(
    local: str, api: Client, tmp_path: Path
) -> None:
    secret, recipient = sealing.new_identity()
    key_file = tmp_path / "key.txt"
    key_file.write_text(secret + "\n")
    sealed = SubmissionRecord(
        id=ids.new_submission_id(DAY_ONE + timedelta(minutes=10)),
        form="action-report",
        schema_version="test",
        received_at="2026-11-14T18:13:12.000Z",
        data={"country": "Germany"},
        encrypted=sealing.to_text(sealing.seal({**REPORT, **PRIVATE}, [recipient])),
    )
    SubmissionStore(boto3.client("s3"), local).put(sealed)

    assert "is encrypted: add --identity FILE" in refused(letterbox("wall", "approve", sealed.id))
    opened = letterbox("wall", "approve", sealed.id, "--identity", str(key_file))

    assert opened.exit_code == 0, opened.output
    [entry] = json.loads(feed(api).body)["entries"]
    assert entry["fields"] == {name: REPORT[name] for name in PUBLIC}
    for secret_text in SECRETS:
        assert secret_text not in feed(api).body.decode()


def test_edit_opens_the_public_copy_in_the_editor_and_publishes_what_was_saved(
    local: str, api: Client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    record = report(local)
    editor = tmp_path / "editor.py"
    editor.write_text(EDIT)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")

    result = letterbox("wall", "approve", record.id, "--edit")

    assert result.exit_code == 0, result.output
    [entry] = json.loads(feed(api).body)["entries"]
    assert entry["fields"]["city"] == "Berlin"
    assert "email" not in entry["fields"]


# Stands in for the organizer in $EDITOR: changes the city, and shows the copy holds no private field.
EDIT = """
import json, sys
path = sys.argv[1]
copy = json.load(open(path, encoding="utf-8"))
assert set(copy) == {"kind", "date", "city", "country", "description", "links"}, copy
copy["city"] = "Berlin"
json.dump(copy, open(path, "w", encoding="utf-8"))
"""
