"""The wall's feed at a constant cost, on the local AWS: pre-rendered pages, filters, one S3 GET, 304s, removals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import runtime
from chalicelib.core import ids
from chalicelib.core.forms import FormRegistry
from chalicelib.core.wall import legacy_feed_key, page_key
from chalicelib.core.wall_filters import view_name
from chalicelib.core.wall_store import WallStore
from devstack.demo_wall import SAMPLES, seed_demo_wall
from devstack.infra import apply_template
from tests.conftest import CAMPAIGN_ORIGIN, TEMPLATE
from tests.test_cli_commands import SENDER, all_versions, as_json, empty_bucket, letterbox
from tests.test_wall import api, feed, ids_in, local, report, wall_stack

__all__ = ["api", "local", "wall_stack"]  # fixtures, used by name
FORMS = FormRegistry.load(validators=False)
FEED_PREFIX = "wall/action-report/feed/"
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def body(response: Any) -> Any:
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def approve(bucket: str, minutes: int, **changes: Any) -> str:
    record = report(bucket, minutes, **changes)
    result = letterbox("wall", "approve", record.id)
    assert result.exit_code == 0, result.output
    return record.id


def publish_many(bucket: str, count: int, **fields: Any) -> list[str]:
    """Published straight through the store (as `approve` does, without a report each), then one rebuild."""
    store = WallStore(boto3.client("s3"), bucket, FORMS)
    published = []
    for n in range(count):
        submission_id = ids.new_submission_id(START + timedelta(minutes=n))
        values = {"kind": "picket", "date": "2026-11-14", "city": f"City {n}", "country": "Germany", **fields}
        store.publish("action-report", submission_id, {**values, "description": f"Report {n}."})
        published.append(submission_id)
    store.rebuild("action-report")
    return published


def test_filters_answer_the_pages_the_console_rendered(local: str, api: Client) -> None:
    berlin = approve(local, 0)
    riga = approve(local, 1, city="Riga", country="Latvia", kind="banner")
    munich = approve(local, 2, city="München", country=" germany ", kind="banner")

    whole = body(feed(api))
    germany = feed(api, "?country=Germany")

    assert whole["counts"] == {"entries": 3, "countries": 2, "kinds": {"banner": 2, "picket": 1}}
    # One spelling each (on a tie, the newest entry's): what the widget's country filter offers.
    assert whole["countries"] == [{"name": "germany", "entries": 2}, {"name": "Latvia", "entries": 1}]
    assert ids_in(germany) == [munich, berlin]
    assert body(germany)["counts"] == {"entries": 2, "countries": 1, "kinds": {"banner": 1, "picket": 1}}
    assert feed(api, "?country=%20GERMANY%20").body == germany.body
    assert ids_in(feed(api, "?kind=banner")) == [munich, riga]
    assert ids_in(feed(api, "?country=germany&kind=banner")) == [munich]
    assert ids_in(feed(api, "?country=&kind=")) == [munich, riga, berlin]  # a form's "All": no filter
    for unknown in ("?country=Atlantis", "?country=Latvia&kind=picket", "?kind=juggling", "?country=..%2F..%2Fx"):
        empty = body(feed(api, unknown))
        assert empty["entries"] == [], unknown
        assert empty["counts"] == {"entries": 0, "countries": 0, "kinds": {}}


@pytest.mark.parametrize(
    ("query", "lang", "said"),
    [
        ("?country=" + "x" * 201, "en", "?country= is longer than 200 characters"),
        ("?kind=" + "я" * 201, "ru", "Значение ?kind= длиннее 200 символов"),
        ("?country=Berlin%0AX-Evil:%201", "en", "?country= holds control characters"),
        ("?kind=a%00b&page=2", "ru", "В значении ?kind= есть управляющие символы"),
    ],
)
def test_a_bad_filter_is_a_400_that_says_which_and_never_quotes_it(
    local: str, api: Client, query: str, lang: str, said: str
) -> None:
    approve(local, 0)

    answer = feed(api, query, **{"Accept-Language": lang})

    assert answer.status_code == 400
    problem = json.loads(answer.body)
    assert problem["type"] == "urn:letterbox:problem:bad-filter"
    assert said in problem["detail"]
    assert "xxxx" not in answer.body.decode()
    assert "Evil" not in answer.body.decode()


def test_pages_follow_one_another_and_a_page_past_the_end_still_has_the_counts(local: str, api: Client) -> None:
    published = publish_many(local, 120)
    newest_first = list(reversed(published))

    pages = [body(feed(api, f"?page={n}")) for n in (1, 2, 3)]
    beyond = body(feed(api, "?page=4"))
    filtered = body(feed(api, "?country=germany&kind=picket&page=3"))

    assert [len(page["entries"]) for page in pages] == [50, 50, 20]
    assert [item["id"] for page in pages for item in page["entries"]] == newest_first
    assert {page["pages"] for page in pages} == {3}
    assert [page["counts"]["entries"] for page in pages] == [120, 120, 120]
    assert (beyond["entries"], beyond["pages"], beyond["counts"]["entries"]) == ([], 3, 120)
    assert [item["id"] for item in filtered["entries"]] == newest_first[100:]
    listed = as_json(letterbox("wall", "list", "--json"))["action-report"]
    assert [item["id"] for item in listed["entries"]] == newest_first  # every page, as the feed holds them
    assert listed["counts"]["entries"] == 120


def test_a_feed_request_costs_one_s3_get_and_a_304_reads_no_body(local: str, api: Client) -> None:
    approve(local, 0)
    approve(local, 1, country="Latvia", kind="banner")
    calls: list[tuple[str, str | None]] = []
    runtime.s3_client().meta.events.register(
        "provide-client-params.s3.*", lambda params, model, **_: calls.append((model.name, params.get("IfNoneMatch")))
    )
    whole, latvia, atom = feed(api), feed(api, "?country=Latvia"), api.http.get("/forms/action-report/wall.atom")
    calls.clear()

    answers = [
        feed(api, **{"If-None-Match": whole.headers["ETag"]}),
        feed(api, "?country=latvia", **{"If-None-Match": f"W/{latvia.headers['ETag']}"}),
        feed(api, "?country=Latvia", **{"If-None-Match": f'"other", {latvia.headers["ETag"]}'}),
        api.http.get("/forms/action-report/wall.atom", headers={"If-None-Match": atom.headers["ETag"]}),
        feed(api, "?kind=banner"),
        feed(api, "?country=Atlantis"),
    ]

    assert [answer.status_code for answer in answers] == [304, 304, 304, 304, 200, 200]
    assert all(answer.body in (b"", "") for answer in answers[:4])
    assert [name for name, _ in calls] == ["GetObject"] * 6
    # S3 answers the 304 itself (a conditional GET); with two tags the API compares before reading.
    assert [condition for _, condition in calls] == [
        whole.headers["ETag"],
        latvia.headers["ETag"],
        None,
        atom.headers["ETag"],
        None,
        None,
    ]
    assert whole.headers["ETag"] != latvia.headers["ETag"]


def test_a_rebuild_writes_only_what_changed_and_removes_what_is_no_longer_needed(local: str, api: Client) -> None:
    approve(local, 0)
    riga = approve(local, 1, city="Riga", country="Latvia", kind="banner")
    latvia = feed(api, "?country=Latvia")
    latvia_key = page_key("action-report", view_name({"country": "Latvia"}), 1)

    approve(local, 2, city="Köln")

    assert feed(api, "?country=Latvia", **{"If-None-Match": latvia.headers["ETag"]}).status_code == 304
    assert WallStore(boto3.client("s3"), local, FORMS).rebuild("action-report")["objects"]["written"] == 0
    removed = letterbox("wall", "remove", riga)
    assert removed.exit_code == 0, removed.output
    assert all_versions(local, latvia_key) == []
    gone = feed(api, "?country=Latvia", **{"If-None-Match": latvia.headers["ETag"]})
    assert gone.status_code == 200
    assert body(gone)["entries"] == []
    for version in all_versions(local, FEED_PREFIX):
        raw = boto3.client("s3").get_object(Bucket=local, Key=version["Key"], VersionId=version["VersionId"])
        assert riga not in raw["Body"].read().decode(), version["Key"]


def test_adding_to_the_feed_reads_its_pages_not_its_entries_and_leaves_what_a_rebuild_would(
    local: str, api: Client
) -> None:
    s3 = boto3.client("s3")
    store = WallStore(s3, local, FORMS)
    publish_many(local, 70)  # two pages of the whole wall, and of Germany's
    read: list[str] = []
    s3.meta.events.register("provide-client-params.s3.GetObject", lambda params, **_: read.append(params["Key"]))
    places = [("Latvia", "banner"), ("Germany", "picket"), ("Germany", "banner"), ("Chile", "picket")]
    added = []
    # Approved in any order: an older report lands inside the pages, not on top of them.
    for n, minutes in enumerate([-30, 200, 35, -5, 90, 10]):
        country, kind = places[n % len(places)]
        submission_id = ids.new_submission_id(START + timedelta(minutes=minutes, seconds=30))
        values = {"kind": kind, "date": "2026-11-14", "city": f"Town {n}", "country": country}
        published = store.publish("action-report", submission_id, {**values, "description": f"Added {n}."})
        counts = store.add_to_feed("action-report", published)["counts"]
        added.append(submission_id)
        assert counts["entries"] == 70 + n + 1

    assert not [key for key in read if "/entries/" in key]
    rebuilt = store.rebuild("action-report")["objects"]
    assert (rebuilt["written"], rebuilt["removed"]) == (0, 0)  # the same bytes, and no version left behind
    assert set(added) <= set(ids_in(feed(api, "?page=1")) + ids_in(feed(api, "?page=2")))
    assert added[0] in ids_in(feed(api, "?country=Latvia"))


def test_a_rebuild_removes_the_old_single_feed_object_and_its_versions(local: str, api: Client) -> None:
    kept = approve(local, 0)
    s3 = boto3.client("s3")
    for version in all_versions(local, FEED_PREFIX):  # as a wall published before the pages looks
        s3.delete_object(Bucket=local, Key=version["Key"], VersionId=version["VersionId"])
    for text in ("older", "old"):
        s3.put_object(Bucket=local, Key=legacy_feed_key("action-report"), Body=text.encode())
    assert ids_in(feed(api)) == []

    rebuilt = letterbox("wall", "rebuild")

    assert rebuilt.exit_code == 0, rebuilt.output
    assert "Rebuilt the wall of action-report:" in rebuilt.stdout
    assert all_versions(local, legacy_feed_key("action-report")) == []
    assert ids_in(feed(api)) == [kept]


@pytest.fixture(scope="module")
def plain_bucket(aws_endpoint: str) -> str:
    """A bucket that keeps no versions (the template's default): every object's version is "null"."""
    outputs = apply_template(TEMPLATE, {"Stage": "wall-plain", "SenderAddress": SENDER, "Versioning": "Suspended"})
    return outputs["BucketName"]


def test_without_versioning_a_rewritten_page_is_kept_and_the_others_go(plain_bucket: str) -> None:
    empty_bucket(plain_bucket)
    s3 = boto3.client("s3")
    store = WallStore(s3, plain_bucket, FORMS)
    first = ids.new_submission_id(START)
    store.publish("action-report", first, {"kind": "banner", "country": "Latvia", "city": "Riga"})
    store.rebuild("action-report")
    second = ids.new_submission_id(START + timedelta(minutes=1))
    store.publish("action-report", second, {"kind": "picket", "country": "Latvia", "city": "Riga"})

    rebuilt = store.rebuild("action-report")

    assert rebuilt["objects"]["written"] > 0
    assert shown_ids(s3, plain_bucket, page_key("action-report", "all", 1)) == [second, first]
    assert shown_ids(s3, plain_bucket, page_key("action-report", view_name({"country": "Latvia"}), 1)) == [
        second,
        first,
    ]
    store.take_down("action-report", first)
    store.rebuild("action-report")
    assert shown_ids(s3, plain_bucket, page_key("action-report", "all", 1)) == [second]
    keys = {version["Key"] for version in all_versions(plain_bucket, FEED_PREFIX)}
    assert page_key("action-report", view_name({"kind": "banner"}), 1) not in keys
    assert page_key("action-report", view_name({"kind": "picket"}), 1) in keys
    assert len(keys) == len(all_versions(plain_bucket, FEED_PREFIX))  # one version of each, no more


def shown_ids(s3: Any, bucket: str, key: str) -> list[str]:
    return [item["id"] for item in json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())["entries"]]


def test_the_feed_keeps_answering_its_origin_and_cache_headers(local: str, api: Client) -> None:
    approve(local, 0)

    answer = feed(api, "?kind=picket")

    assert answer.headers["Access-Control-Allow-Origin"] == CAMPAIGN_ORIGIN
    assert answer.headers["Cache-Control"] == "public, max-age=60"
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    assert answer.headers["ETag"].startswith('"')


def test_make_dev_seeds_its_demo_wall_once(local: str, api: Client) -> None:
    assert seed_demo_wall(boto3.client("s3"), local) == len(SAMPLES)
    assert seed_demo_wall(boto3.client("s3"), local) == 0

    shown = body(feed(api))

    assert shown["counts"]["entries"] == len(SAMPLES)
    assert shown["counts"]["countries"] == 5  # "Germany" and "germany" are one
    assert shown["entries"][0]["fields"]["city"] == "Chișinău"
