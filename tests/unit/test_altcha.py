"""ALTCHA's challenges and single use, in process: signed, bound to a form, timed by our clock, spent once."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from altcha import Challenge, Payload, solve_challenge

from chalicelib.core import ids
from chalicelib.core.aws_errors import StorageUnavailable
from chalicelib.core.signing_keys import SigningKeyUnavailable
from chalicelib.intake import problems
from chalicelib.intake.altcha_challenges import LIFETIME, AltchaChallenges, ExpiredSolution, solution_id
from chalicelib.intake.single_use import SingleUse, retry_tag

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
NOW = datetime(2026, 11, 14, 18, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def challenges(key: bytes = KEY, clock: Callable[[], datetime] = lambda: NOW) -> AltchaChallenges:
    return AltchaChallenges(lambda: key, clock)


def solved(challenge: dict[str, Any]) -> str:
    """What the widget posts: base64 of the challenge and the solution the altcha package's own solver finds."""
    parsed = Challenge.from_dict(challenge)
    solution = solve_challenge(parsed, timeout=30)
    assert solution is not None
    return Payload(parsed, solution).to_base64()


def edited(payload: str, change: Callable[[dict[str, Any]], None]) -> str:
    decoded = json.loads(base64.b64decode(payload))
    change(decoded)
    return base64.b64encode(json.dumps(decoded).encode()).decode()


def rejected(detail: str, call: Callable[[], object]) -> problems.CaptchaRejected:
    with pytest.raises(problems.CaptchaRejected) as caught:
        call()
    assert caught.value.detail_key == detail
    assert caught.value.status == 400
    assert caught.value.field == "/altcha"
    return caught.value


def test_a_solved_challenge_stands_for_one_id_timed_at_its_expiry() -> None:
    service = challenges()
    payload = solved(service.issue("action-report", 10))

    first = service.verify("action-report", payload)

    assert service.verify("action-report", payload) == first  # the library alone would take it twice
    assert ids.is_submission_id(first)
    assert ids.time_of(first) == NOW + LIFETIME


def test_the_secret_counter_is_drawn_below_the_forms_max_number() -> None:
    service = challenges()
    counters = {json.loads(base64.b64decode(solved(service.issue("letter-copy", 5))))["solution"]["counter"]}
    for _ in range(15):
        counters.add(json.loads(base64.b64decode(solved(service.issue("letter-copy", 5))))["solution"]["counter"])

    assert counters <= set(range(5))
    assert len(counters) > 1


def test_two_challenges_give_two_ids() -> None:
    service = challenges()

    one = service.verify("action-report", solved(service.issue("action-report", 10)))
    two = service.verify("action-report", solved(service.issue("action-report", 10)))

    assert one != two


def test_a_challenge_is_for_its_own_form_only() -> None:
    service = challenges()
    payload = solved(service.issue("action-report", 10))

    rejected("captcha_wrong_form", lambda: service.verify("letter-copy", payload))


def test_an_expired_challenge_is_refused_and_still_names_its_id() -> None:
    clock = Clock()
    service = challenges(clock=clock)
    payload = solved(service.issue("action-report", 10))
    expected = service.verify("action-report", payload)
    clock.now = NOW + LIFETIME

    refused = rejected("captcha_expired", lambda: service.verify("action-report", payload))

    assert isinstance(refused, ExpiredSolution)
    assert refused.submission_id == expected


def test_a_challenge_moved_to_another_form_or_time_breaks_its_signature() -> None:
    service = challenges()
    payload = solved(service.issue("action-report", 10))

    def other_form(decoded: dict[str, Any]) -> None:
        decoded["challenge"]["parameters"]["data"]["form"] = "letter-copy"

    def later(decoded: dict[str, Any]) -> None:
        decoded["challenge"]["parameters"]["data"]["expires"] += 3600

    rejected("captcha_invalid", lambda: service.verify("letter-copy", edited(payload, other_form)))
    rejected("captcha_invalid", lambda: service.verify("action-report", edited(payload, later)))


def test_an_unsigned_a_foreign_and_an_unsolved_challenge_are_refused() -> None:
    service = challenges()
    payload = solved(service.issue("action-report", 10))

    def unsigned(decoded: dict[str, Any]) -> None:
        del decoded["challenge"]["signature"]

    def wrong_key(decoded: dict[str, Any]) -> None:
        decoded["solution"]["derivedKey"] = "00" * 32

    foreign = solved(challenges(OTHER_KEY).issue("action-report", 10))
    rejected("captcha_invalid", lambda: service.verify("action-report", edited(payload, unsigned)))
    rejected("captcha_invalid", lambda: service.verify("action-report", edited(payload, wrong_key)))
    rejected("captcha_invalid", lambda: service.verify("action-report", foreign))


@pytest.mark.parametrize(
    "token",
    [
        "not base64 at all!",
        base64.b64encode(b"not json").decode(),
        base64.b64encode(b"[1, 2]").decode(),
        base64.b64encode(b'{"challenge": "x", "solution": 1}').decode(),
        base64.b64encode(b'{"challenge": {"parameters": {}}, "solution": {}}').decode(),
        base64.b64encode(b"[" * 5000 + b"]" * 5000).decode(),
        "A" * 10_000,
        "\u043f\u0440\u0438\u0432\u0435\u0442",
    ],
)
def test_a_malformed_payload_is_refused_not_a_crash(token: str) -> None:
    rejected("captcha_invalid", lambda: challenges().verify("action-report", token))


def test_no_payload_is_a_missing_captcha() -> None:
    rejected("captcha_missing", lambda: challenges().verify("action-report", ""))


def test_without_the_signing_key_nothing_is_issued_or_accepted() -> None:
    payload = solved(challenges().issue("action-report", 10))

    def unavailable() -> bytes:
        raise SigningKeyUnavailable("SSM unreachable")

    service = AltchaChallenges(unavailable)
    for call in (lambda: service.issue("action-report", 10), lambda: service.verify("action-report", payload)):
        with pytest.raises(problems.ServiceUnavailable) as caught:
            call()
        assert caught.value.detail_key == "captcha_unavailable"


def test_the_id_depends_on_the_form_and_the_signature() -> None:
    expires = int((NOW + LIFETIME).timestamp())

    assert solution_id("a", expires, "s1") == solution_id("a", expires, "s1")
    assert len({solution_id("a", expires, "s1"), solution_id("b", expires, "s1"), solution_id("a", expires, "s2")}) == 3


def test_the_retry_tag_keeps_a_short_hash_of_the_key_only() -> None:
    tag = retry_tag("action-report", "01KAX3Z8W6V1R2F7D9QH0M4N5P")

    assert len(tag) == 16
    assert int(tag, 16) >= 0
    assert "01KAX3" not in tag
    assert retry_tag("letter-copy", "01KAX3Z8W6V1R2F7D9QH0M4N5P") != tag
    assert retry_tag("action-report", None) == retry_tag("action-report", "") == ""


class FakeStore:
    """In process: the retry tag each stored id was written with."""

    def __init__(self) -> None:
        self.tags: dict[str, str] = {}
        self.heads = 0
        self.failing = False

    def retry_tag(self, form: str, submission_id: str) -> str | None:
        self.heads += 1
        if self.failing:
            raise StorageUnavailable("head: EndpointConnectionError")
        return self.tags.get(f"{form}/{submission_id}")


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


def single_use(store: FakeStore, clock: Callable[[], datetime] = lambda: NOW) -> SingleUse:
    return SingleUse(challenges(clock=clock), store)  # type: ignore[arg-type]


def test_a_fresh_solution_is_admitted_without_any_storage_request(store: FakeStore) -> None:
    payload = solved(challenges().issue("action-report", 10))

    submission_id, stored = single_use(store).admit("action-report", payload, retry_tag("action-report", "k"))

    assert not stored
    assert ids.is_submission_id(submission_id)
    assert store.heads == 0


def test_after_a_refused_put_the_same_key_gets_its_answer_and_any_other_a_400(store: FakeStore) -> None:
    uses = single_use(store)
    tag = retry_tag("action-report", "k1")
    store.tags["action-report/ID"] = tag

    assert uses.after_conflict("action-report", "ID", tag) == "ID"
    rejected("captcha_used", lambda: uses.after_conflict("action-report", "ID", retry_tag("action-report", "k2")))
    rejected("captcha_used", lambda: uses.after_conflict("action-report", "ID", ""))
    store.tags["action-report/ID"] = ""  # stored without a key: no retry can claim it
    rejected("captcha_used", lambda: uses.after_conflict("action-report", "ID", ""))


def test_a_refused_put_whose_object_is_not_visible_yet_asks_for_a_retry(store: FakeStore) -> None:
    with pytest.raises(problems.ServiceUnavailable) as caught:
        single_use(store).after_conflict("action-report", "ID", "tag")

    assert caught.value.detail_key == "storage_unavailable"


def test_an_unreachable_store_is_a_503(store: FakeStore) -> None:
    store.failing = True

    with pytest.raises(problems.ServiceUnavailable):
        single_use(store).earlier_answer("action-report", "ID", "tag")


def test_a_retry_after_expiry_gets_its_first_answer_only_if_it_was_stored_with_its_key(store: FakeStore) -> None:
    clock = Clock()
    uses = single_use(store, clock)
    payload = solved(challenges().issue("action-report", 10))
    submission_id, _ = uses.admit("action-report", payload, "")
    clock.now = NOW + timedelta(hours=1)
    tag = retry_tag("action-report", "k1")

    rejected("captcha_expired", lambda: uses.admit("action-report", payload, tag))  # never stored
    store.tags[f"action-report/{submission_id}"] = tag

    assert uses.admit("action-report", payload, tag) == (submission_id, True)
    rejected("captcha_expired", lambda: uses.admit("action-report", payload, retry_tag("action-report", "k2")))
    heads = store.heads
    rejected("captcha_expired", lambda: uses.admit("action-report", payload, ""))
    assert store.heads == heads  # without a key, an expired solution costs no request
