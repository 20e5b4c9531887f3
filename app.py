"""letterbox: routes and event handlers only; the logic lives in chalicelib/.

One app.py serves all three functions, so it imports nothing but the runtime: the API's routes
load chalicelib.intake on first use, the notify handler chalicelib.notify, the digest schedule
only its own small part of it.
"""

from __future__ import annotations

import logging
import os

from chalice.app import Chalice, CloudWatchEvent, Rate, Request, Response, SQSEvent

from chalicelib import runtime

app = Chalice(app_name="letterbox")
app.log.setLevel(logging.INFO)
# botocore at INFO names endpoints and credential sources on every cold start: noise.
logging.getLogger("botocore").setLevel(logging.WARNING)
# Read when Chalice builds the event source mapping (deploy, package); the deploy sets it.
NOTIFY_QUEUE = os.environ.get("LETTERBOX_NOTIFY_QUEUE", "letterbox-dev-notify")
# At most this many notify functions at once: with LETTERBOX_SEND_RATE, what keeps a burst under SES's rate.
NOTIFY_CONCURRENCY = int(os.environ.get("LETTERBOX_NOTIFY_CONCURRENCY", "2"))


@app.route("/health")
def health() -> Response:
    return runtime.api().health()


@app.route("/forms")
def list_forms() -> Response:
    return runtime.api().list_forms(_request())


@app.route("/forms/{form}")
def form_definition(form: str) -> Response:
    return runtime.api().form_definition(_request(), form)


@app.route("/forms/{form}/challenge")
def altcha_challenge(form: str) -> Response:
    return runtime.api().challenge(_request(), form)


@app.route("/forms/{form}/submissions", methods=["POST"], content_types=["*/*"])
def submit(form: str) -> Response:
    return runtime.api().submit(_request(), form)


@app.route("/forms/{form}/uploads", methods=["POST"], content_types=["*/*"])
def create_upload(form: str) -> Response:
    return runtime.api().create_upload(_request(), form)


@app.route("/forms/{form}/submissions", methods=["OPTIONS"])
def submit_preflight(form: str) -> Response:
    return runtime.api().preflight(_request(), form)


@app.route("/forms/{form}/uploads", methods=["OPTIONS"])
def upload_preflight(form: str) -> Response:
    return runtime.api().preflight(_request(), form)


@app.route("/forms/{form}/thanks")
def thanks(form: str) -> Response:
    return runtime.api().thanks(_request(), form)


@app.route("/forms/{form}/wall")
def wall(form: str) -> Response:
    return runtime.api().wall(_request(), form)


@app.route("/forms/{form}/wall.atom")
def wall_atom(form: str) -> Response:
    return runtime.api().wall_atom(_request(), form)


# The emailed review link: GET shows the public copy and changes nothing; the page's buttons POST the decision.
@app.route("/forms/{form}/review/{submission}")
def review_page(form: str, submission: str) -> Response:
    return runtime.api().review_page(_request(), form, submission)


@app.route("/forms/{form}/review/{submission}", methods=["POST"], content_types=["*/*"])
def review_decision(form: str, submission: str) -> Response:
    return runtime.api().review_decision(_request(), form, submission)


@app.on_sqs_message(queue=NOTIFY_QUEUE, batch_size=10, name="notify", maximum_concurrency=NOTIFY_CONCURRENCY)
def notify(event: SQSEvent) -> None:
    runtime.handle_notify_batch(event.to_dict()["Records"])


# Every SCHEDULE_MINUTES (chalicelib/notify/digest_schedule.py): a daily digest at 18:30 goes out by 18:32.
@app.schedule(Rate(15, unit=Rate.MINUTES), name="digests", description="Queue the digest emails that are due")
def digests(event: CloudWatchEvent) -> None:
    # event.time is the run's scheduled time: a retried run queues the same digests again, harmlessly.
    runtime.enqueue_due_digests(event.time)


def _request() -> Request:
    request = app.current_request
    if request is None:  # only outside a request, which routes never are
        raise RuntimeError("no current request")
    return request
