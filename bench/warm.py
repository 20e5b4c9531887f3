"""CPU per request, warm, in one process: letterbox's routes against a bare Chalice route, interleaved.

    python -m bench.warm --captcha {off,on} [--samples 9] [--requests 200]

AWS calls are answered by botocore's Stubber (no network, no signing). With `--captcha on`, hCaptcha's
siteverify is answered by devstack's loopback stand-in, run in a process of its own so that its work
is not counted; the client's is. CPU is the calling thread's (`time.thread_time`).
Prints `BENCH {json}` as its last line.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.cold import Context, peak_rss_kb
from bench.common import (
    FORM,
    INVALID_REPORT,
    REPORT,
    ROOT,
    SEALED_FORM,
    SENDER,
    SUBMIT_RESOURCE,
    api_event,
    free_port,
    sealed_form_env,
    submit_event,
)
from devstack.worker import lambda_sqs_record

BUCKET = "letterbox-bench-warm"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:letterbox-bench-notify"
WARMUP = 30


def _environment(captcha: bool, verify_url: str) -> None:
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "LETTERBOX_STAGE": "dev",
            # The bench runs on this machine, like the local stack: the test keys are allowed.
            "LETTERBOX_LOCAL": "1",
            "LETTERBOX_BUCKET": BUCKET,
            "LETTERBOX_ORIGINS": "https://campaign.example",
            "LETTERBOX_CAPTCHA": "on" if captcha else "off",
            "HCAPTCHA_SITEKEY": "10000000-ffff-ffff-ffff-000000000001",
            "HCAPTCHA_SECRET": "0x0000000000000000000000000000000000000000",
            "HCAPTCHA_VERIFY_URL": verify_url,
            "LETTERBOX_SENDER": SENDER,
            "LETTERBOX_ORGANIZERS": "organizers@example.org",
            # CPU is measured, not SES's rate: no pause between sends.
            "LETTERBOX_SEND_RATE": "100000",
        }
    )


class Variant:
    """One kind of request: how to build N events, queue N AWS answers, and check an answer."""

    def __init__(
        self,
        name: str,
        handler: Callable[[dict[str, Any], Any], Any],
        make_event: Callable[[int], dict[str, Any]],
        expect: int,
        stub: Callable[[int], None] = lambda _n: None,
    ) -> None:
        self.name = name
        self.handler = handler
        self.make_event = make_event
        self.expect = expect
        self.stub = stub
        self.samples_us: list[float] = []
        self.made = 0

    def run(self, requests: int, context: Any, record: bool = True) -> None:
        events = [self.make_event(self.made + i) for i in range(requests)]
        self.made += requests
        self.stub(requests)
        handler = self.handler
        statuses: Counter[int] = Counter()
        start = time.thread_time_ns()
        for event in events:
            answer = handler(event, context)
            statuses[answer["statusCode"] if isinstance(answer, dict) else 200] += 1
        elapsed = time.thread_time_ns() - start
        if set(statuses) != {self.expect}:
            raise RuntimeError(f"{self.name}: expected {self.expect}, got {dict(statuses)}")
        if record:
            self.samples_us.append(elapsed / requests / 1000)


def _s3_event_body(key: str) -> str:
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": BUCKET}, "object": {"key": key, "size": 400}},
    }
    return json.dumps({"Records": [record]})


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--captcha", choices=("on", "off"), default="off")
    parser.add_argument("--samples", type=int, default=9)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    captcha = args.captcha == "on"

    siteverify = _start_siteverify() if captcha else None
    try:
        return _measure(captcha, args.samples, args.requests, siteverify[1] if siteverify else None)
    finally:
        if siteverify is not None:
            siteverify[0].terminate()
            siteverify[0].wait(timeout=10)


def _start_siteverify() -> tuple[subprocess.Popen[bytes], str]:
    """devstack's stand-in in a process of its own, on a free loopback port; returns once it accepts."""
    port = free_port()
    code = f"from devstack.siteverify import SiteverifyServer; SiteverifyServer('127.0.0.1', {port}).serve_forever()"
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    for _ in range(200):  # 10 s at most
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, f"http://127.0.0.1:{port}/siteverify"
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the siteverify stand-in did not start")


HOSTILE_BODIES = {
    # 6,000 distinct objects: jsonschema's uniqueItems compared them pairwise for a minute.
    "unsortable_array": (json.dumps({"links": [{"n": i} for i in range(6000)]}, separators=(",", ":")), 422),
    "unknown_keys": (json.dumps({f"k{i}": 1 for i in range(5000)}, separators=(",", ":")), 422),
    "deep_nesting": ('{"city":' + "[" * 10000 + "]" * 10000 + "}", 400),
    "many_errors": (json.dumps({"links": ["not a link"] * 100, "kind": 1, "date": "x"}), 422),
}


def hostile_events(body: str) -> Callable[[int], dict[str, Any]]:
    assert len(body.encode()) <= 65536
    return lambda _i: api_event(SUBMIT_RESOURCE, {"form": FORM}, body)


def _measure(captcha: bool, samples: int, requests: int, verify_url: str | None) -> dict[str, Any]:
    _environment(captcha, verify_url or "http://127.0.0.1:9/siteverify")
    sealed_dir = tempfile.TemporaryDirectory(prefix="letterbox-bench-sealed-")
    os.environ.update(sealed_form_env(Path(sealed_dir.name)))

    from botocore.response import StreamingBody
    from botocore.stub import Stubber

    import app as letterbox
    from bench.baseline_app import app as baseline
    from chalicelib import runtime
    from chalicelib.core import ids
    from chalicelib.core.storage import submission_key

    s3 = runtime.s3_client()
    ses = runtime.ses_client()
    calls: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        calls[event_name.removeprefix("before-parameter-build.")] += 1

    for client in (s3, ses, runtime.sqs_client()):
        client.meta.events.register("before-parameter-build.*.*", count)
    s3_stub, ses_stub = Stubber(s3), Stubber(ses)
    s3_stub.activate()
    ses_stub.activate()

    def stub_put(n: int) -> None:
        for _ in range(n):
            s3_stub.add_response("put_object", {"ETag": '"e"'})

    def stub_keyed_put(n: int) -> None:
        # The key names the object: one conditional PUT, whatever the day holds.
        stub_put(n)

    stored: list[str] = []

    def stub_notify(n: int) -> None:
        for key in stored[-n:]:
            submission_id = key.rsplit("/", 1)[-1].removesuffix(".json")
            record = {
                "id": submission_id,
                "form": FORM,
                "schema_version": "bench",
                "received_at": "2026-11-14T18:03:12.345Z",
                "data": {k: v for k, v in REPORT.items() if k != "h-captcha-response"},
            }
            raw = json.dumps(record, ensure_ascii=False).encode()
            s3_stub.add_response("get_object", {"Body": StreamingBody(io.BytesIO(raw), len(raw))})
            s3_stub.add_response("put_object", {"ETag": '"claimed"'})
            s3_stub.add_response("put_object", {"ETag": '"handed-over"'})
            ses_stub.add_response("send_email", {"MessageId": f"bench-{submission_id}"})
            s3_stub.add_response("put_object", {"ETag": '"sent"'})

    def notify_event(i: int) -> dict[str, Any]:
        key = submission_key(FORM, ids.new_submission_id(datetime.now(UTC)))
        stored.append(key)
        message = {"MessageId": f"m{i}", "ReceiptHandle": f"r{i}", "Body": _s3_event_body(key)}
        return {"Records": [lambda_sqs_record(message, QUEUE_ARN)]}

    # The baseline answers a route that does nothing but parse and return.
    echo_body = json.dumps(REPORT)
    variants = [
        Variant("baseline_echo", baseline.app, lambda _i: api_event("/echo", None, echo_body), 200),
        Variant("accepted", letterbox.app, lambda _i: submit_event(REPORT), 201, stub_put),
        # The same report to the same form encrypted to one age key: what sealing costs.
        Variant("accepted_sealed", letterbox.app, lambda _i: submit_event(REPORT, form=SEALED_FORM), 201, stub_put),
        Variant("rejected_422", letterbox.app, lambda _i: submit_event(INVALID_REPORT), 422),
        # The costliest bodies within the 64 KB limit that v1 let reach the validator or the parser.
        *(
            Variant(f"hostile_{name}", letterbox.app, hostile_events(body), status)
            for name, (body, status) in HOSTILE_BODIES.items()
        ),
        Variant(
            "accepted_idempotency_key",
            letterbox.app,
            lambda _i: submit_event(REPORT, {"Idempotency-Key": ids.new_submission_id(datetime.now(UTC))}),
            201,
            stub_keyed_put,
        ),
        Variant("notify_record", letterbox.notify, notify_event, 200, stub_notify),
        # What the embed script asks before a submission (both cacheable by the browser).
        Variant(
            "definition_get",
            letterbox.app,
            lambda _i: api_event("/forms/{form}", {"form": FORM}, "", method="GET"),
            200,
        ),
        Variant(
            "preflight_options",
            letterbox.app,
            lambda _i: api_event(
                SUBMIT_RESOURCE, {"form": FORM}, "", {"Access-Control-Request-Method": "POST"}, method="OPTIONS"
            ),
            204,
        ),
    ]
    context = Context()
    for variant in variants:
        variant.run(WARMUP, context, record=False)
    # Calls per request, counted once the process is warm (one request of each kind).
    per_request: dict[str, dict[str, int]] = {}
    for variant in variants:
        calls.clear()
        variant.run(1, context, record=False)
        per_request[variant.name] = dict(calls)
    for round_index in range(samples):
        shift = round_index % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            variant.run(requests, context)
    s3_stub.assert_no_pending_responses()
    ses_stub.assert_no_pending_responses()
    return {
        "captcha": "on" if captcha else "off",
        "requests_per_sample": requests,
        "samples_us": {variant.name: variant.samples_us for variant in variants},
        "aws_calls_per_request": per_request,
        "maxrss_kb": peak_rss_kb(),
    }


if __name__ == "__main__":
    print("BENCH " + json.dumps(main()), flush=True)
