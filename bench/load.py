"""A day of action on the local stack `make dev` runs: many submissions from concurrent clients.

Each client posts reports one after another (HTTP/1.1, a new connection per request, as browsers on
different machines would); a watcher notes when each outbox/{id}.eml appears, which the worker writes
when the local SES accepts the email. At the end the local SES is read once and counted by each
email's X-Letterbox-Submission header: emails, duplicates, submissions never emailed.

With `kill=True` the worker is SIGKILLed once half the emails are out, and started again at once.
The batch it was handling waits out the queue's visibility timeout (360 s) before it is retried.
Sends are paced (LETTERBOX_SEND_RATE, shared by LETTERBOX_NOTIFY_CONCURRENCY=2 functions); the dev
stage's 1 a second (SES's sandbox) would take 2,000 s for 1,000 emails, so the run sets SES's common
production rate, 14 a second, of which the one local worker takes its half (7 a second).
moto keeps one state per process, not per server: what earlier runs in this process stored is still
there, so everything is counted for this run's submissions only.
"""

from __future__ import annotations

import collections
import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

import boto3

from bench.common import REPORT, free_port, now, percentile
from devstack.stack import LocalStack, Ports

WATCH_SECONDS = 0.01
# After the last submission: time for the queue to drain (and, after a kill, for the visibility timeout).
DRAIN_MARGIN_SECONDS = 120.0
# SES's sending rate after production access, commonly granted to start (emails a second, per account).
PRODUCTION_SEND_RATE = 14.0


@dataclass
class Submission:
    started: float
    answered: float = 0.0
    status: int = 0
    submission_id: str = ""
    error: str = ""


@dataclass
class Watcher:
    """First time each .eml was seen in the outbox, scanned every 10 ms (a scan of 1,000 names is < 1 ms)."""

    directory: Path
    seen: dict[str, float] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            self.scan()
            time.sleep(WATCH_SECONDS)

    def scan(self) -> None:
        if not self.directory.exists():
            return
        at = now()
        with os.scandir(self.directory) as entries:
            for entry in entries:
                if entry.name.endswith(".eml") and not entry.name.startswith("."):
                    self.seen.setdefault(entry.name.removesuffix(".eml"), at)


def _post(api_url: str, origin: str, timeout: float) -> Submission:
    request = urllib.request.Request(
        f"{api_url}/forms/action-report/submissions",
        data=json.dumps(REPORT).encode(),
        headers={"Content-Type": "application/json", "Origin": origin, "Accept": "application/json"},
        method="POST",
    )
    result = Submission(started=now())
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            body = answer.read()
            result.status = answer.status
    except urllib.error.HTTPError as error:
        result.status, body = error.code, error.read()
    except OSError as error:  # refused, reset, timed out: what the crowd met before
        result.answered, result.error = now(), f"{type(error).__name__}: {error}"
        return result
    result.answered = now()
    if result.status == 201:
        result.submission_id = str(json.loads(body)["id"])
    else:
        result.error = f"HTTP {result.status}"
    return result


def _crowd(stack: LocalStack, count: int, clients: int, timeout: float) -> list[Submission]:
    """`count` submissions from `clients` threads, each posting the next one as soon as its last is answered."""
    remaining = iter(range(count))
    lock = threading.Lock()
    results: list[Submission] = []

    def client() -> None:
        while True:
            with lock:
                if next(remaining, None) is None:
                    return
            answer = _post(stack.api_url, stack.demo_origins[0], timeout)
            with lock:
                results.append(answer)

    threads = [threading.Thread(target=client, name=f"load-client-{i}", daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout * count)  # a bound, never reached: each request has its own timeout
    return results


def _aws(stack: LocalStack) -> dict[str, Any]:
    options = {
        "endpoint_url": stack.aws_url,
        "aws_access_key_id": "local",
        "aws_secret_access_key": "local",
        "region_name": "us-east-1",
    }
    return {"s3": boto3.client("s3", **options), "sqs": boto3.client("sqs", **options)}  # type: ignore[call-overload]


def _queue_depth(sqs: Any, url: str) -> tuple[int, int]:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return int(attributes[names[0]]), int(attributes[names[1]])


def _stored(s3: Any, bucket: str, ids: set[str]) -> int:
    """How many of `ids` are stored."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="submissions/action-report/")
    names = {
        item["Key"].rsplit("/", 1)[-1].removesuffix(".json") for page in pages for item in page.get("Contents", [])
    }
    return len(ids & names)


def _marker_states(s3: Any, bucket: str, ids: set[str]) -> dict[str, int]:
    states: collections.Counter[str] = collections.Counter()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="notified/"):
        for item in page.get("Contents", []):
            if item["Key"].removeprefix("notified/") in ids:
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                states[str(json.loads(body).get("state"))] += 1
    return dict(states)


def _ses_accepted(aws_url: str, ids: set[str]) -> collections.Counter[str]:
    """Emails the local SES accepted for each of `ids` (read once, at the end)."""
    with urllib.request.urlopen(f"{aws_url}/moto-api/data.json", timeout=120) as answer:
        messages = json.load(answer).get("ses", {}).get("RawMessage", [])
    named = [str(HeaderParser().parsestr(message["raw_data"]).get("X-Letterbox-Submission")) for message in messages]
    return collections.Counter(submission_id for submission_id in named if submission_id in ids)


def measure(
    count: int,
    workdir: Path,
    clients: int = 50,
    kill: bool = False,
    send_rate: float = PRODUCTION_SEND_RATE,
    request_timeout: float = 30.0,
    budget: float = 1800.0,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    ports = Ports(aws=free_port(), captcha=free_port(), api=free_port(), demo=free_port())
    outbox = workdir / "outbox"
    started = now()
    watcher = Watcher(outbox)
    kill_info: dict[str, Any] = {}
    overrides = {"LETTERBOX_SEND_RATE": f"{send_rate:g}"}
    stack = LocalStack(ports, outbox=outbox, overrides=overrides)
    with (workdir / "stack.log").open("wb") as output, stack:
        stack.start(output.fileno())
        aws = _aws(stack)
        bucket, queue_url = stack.outputs["BucketName"], stack.outputs["NotifyQueueUrl"]
        visibility = int(
            aws["sqs"].get_queue_attributes(QueueUrl=queue_url, AttributeNames=["VisibilityTimeout"])["Attributes"][
                "VisibilityTimeout"
            ]
        )
        dead_before = sum(_queue_depth(aws["sqs"], stack.outputs["DeadLetterQueueUrl"]))
        watch = threading.Thread(target=watcher.run, name="outbox-watcher", daemon=True)
        watch.start()
        # One submission first: the API's first request and the worker's first poll are not the crowd's.
        warmup = _post(stack.api_url, stack.demo_origins[0], request_timeout)
        if warmup.status != 201:
            raise RuntimeError(f"warm-up submission failed: {warmup.error}")
        deadline = now() + 30
        while warmup.submission_id not in watcher.seen and now() < deadline:
            time.sleep(WATCH_SECONDS)
        killer = threading.Thread(
            target=_kill_midway, args=(stack, watcher, count // 2 + 1, aws, kill_info, log), daemon=True
        )
        if kill:
            killer.start()
        load_started = now()
        results = _crowd(stack, count, clients, request_timeout)
        load_seconds = now() - load_started
        log(f"  load: {len(results)} answered in {load_seconds:.1f} s; waiting for the emails")
        accepted_ids = {r.submission_id for r in results if r.submission_id}
        # The backlog drains at the worker's share of the rate; a kill adds the visibility timeout.
        wait = DRAIN_MARGIN_SECONDS + count * 2 / send_rate + (visibility if kill else 0)
        deadline = min(now() + wait, started + budget)
        while now() < deadline and not accepted_ids <= set(watcher.seen):
            time.sleep(0.2)
        if kill:
            killer.join(timeout=30)
        drain_deadline = now() + 30
        while now() < drain_deadline and sum(_queue_depth(aws["sqs"], queue_url)) > 0:
            time.sleep(0.2)
        watcher.stop.set()
        watch.join(timeout=5)
        watcher.scan()
        sent = _ses_accepted(stack.aws_url, accepted_ids)
        stored = _stored(aws["s3"], bucket, accepted_ids)
        queue_left = _queue_depth(aws["sqs"], queue_url)
        dead_letters = sum(_queue_depth(aws["sqs"], stack.outputs["DeadLetterQueueUrl"])) - dead_before
        markers = _marker_states(aws["s3"], bucket, accepted_ids)
    api_ms = [(r.answered - r.started) * 1000 for r in results if r.status == 201]
    email_ms = [(watcher.seen[r.submission_id] - r.started) * 1000 for r in results if r.submission_id in watcher.seen]
    errors = collections.Counter(r.error for r in results if r.error)
    duplicates = sum(n - 1 for n in sent.values() if n > 1)
    never_emailed = sorted(accepted_ids - set(sent))
    figures: dict[str, Any] = {
        "method": (
            f"devstack.LocalStack as `make dev` starts it (moto server, siteverify stand-in, devstack.api_server, "
            f"devstack.worker) on free loopback ports, LETTERBOX_SEND_RATE={send_rate:g} (of which the worker, "
            "one of LETTERBOX_NOTIFY_CONCURRENCY=2, takes half); one warm-up submission, then "
            f"{count} action reports "
            f"posted by {clients} concurrent clients (threads, one request at a time each); API time = the POST's "
            "round trip; submit → email = from just before the POST to when outbox/{id}.eml appeared (the worker "
            "writes it when SES accepts; scanned every 10 ms); emails counted once at the end in moto's SES "
            "(/moto-api/data.json) by X-Letterbox-Submission"
        ),
        "submissions": count,
        "clients": clients,
        "send_rate": send_rate,
        "answered_201": len(api_ms),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors.most_common(5)),
        "objects_stored": stored,
        "emails_sent": sum(sent.values()),
        "emails_in_outbox": len(accepted_ids & set(watcher.seen)),
        "duplicates": duplicates,
        "never_emailed": len(never_emailed),
        "never_emailed_ids": never_emailed[:10],
        "queue_left": list(queue_left),
        "dead_letters": dead_letters,
        "markers": markers,
        "api_p50_ms": percentile(api_ms, 0.50),
        "api_p95_ms": percentile(api_ms, 0.95),
        "api_max_ms": max(api_ms, default=float("nan")),
        "email_p50_ms": percentile(email_ms, 0.50),
        "email_p95_ms": percentile(email_ms, 0.95),
        "email_max_ms": max(email_ms, default=float("nan")),
        "load_seconds": load_seconds,
        "submissions_per_second": count / load_seconds if load_seconds else float("nan"),
        "queue_visibility_seconds": visibility,
        "wall_seconds": now() - started,
    }
    if kill:
        killed_at = kill_info.pop("killed_at", None)
        if killed_at is not None:
            kill_info["last_email_after_kill_s"] = max(watcher.seen.values(), default=killed_at) - killed_at
        figures["kill"] = kill_info
    return figures


def _kill_midway(
    stack: LocalStack,
    watcher: Watcher,
    emails: int,
    aws: dict[str, Any],
    info: dict[str, Any],
    log: Callable[[str], None],
    timeout: float = 300.0,
) -> None:
    """SIGKILL the worker once `emails` are in the outbox (it is mid-batch then), and start it again at once."""
    deadline = now() + timeout
    while len(watcher.seen) < emails:
        if now() > deadline:
            info["error"] = f"fewer than {emails} emails within {timeout:.0f} s: not killed"
            return
        time.sleep(0.002)
    stack.stop_worker()
    info["killed_at"] = now()
    info["emails_at_kill"] = len(watcher.seen) - 1
    visible, in_flight = _queue_depth(aws["sqs"], stack.outputs["NotifyQueueUrl"])
    info["queued_at_kill"], info["in_flight_at_kill"] = visible, in_flight
    stack.start_worker()
    info["restart_seconds"] = now() - info["killed_at"]
    log(f"  worker killed after {info['emails_at_kill']} emails ({in_flight} messages in flight), restarted")
