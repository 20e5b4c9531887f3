"""Cost per 1,000 submissions at AWS list prices (us-east-1), from measured durations and counted calls."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.common import ROOT

PRICES = {
    "api_gateway_rest_per_request": 3.50 / 1e6,
    "lambda_per_gb_second": 0.0000166667,
    "lambda_per_request": 0.20 / 1e6,
    "s3_put_copy_post_list_per_request": 0.005 / 1000,
    "s3_get_head_per_request": 0.0004 / 1000,
    "sqs_per_request": 0.40 / 1e6,
    "ses_per_email": 0.10 / 1000,
}
PRICES_SOURCE = "AWS list prices, us-east-1, as given in issue 7 (no free tier)"
# Chalice names the REST API's function api_handler; the queue handler is named in app.py.
FUNCTIONS = ("api_handler", "notify")
DEFAULT_MEMORY_MB = 128
SUBMISSIONS = 1000


def memory_mb(function: str, stage: str = "prod", config_path: Path = ROOT / ".chalice" / "config.json") -> int:
    """The memory .chalice/config.json gives a function in a stage, as Chalice resolves it."""
    config = json.loads(config_path.read_text())
    stage_config = config.get("stages", {}).get(stage, {})
    for scope in (stage_config.get("lambda_functions", {}).get(function, {}), stage_config, config):
        if "lambda_memory_size" in scope:
            return int(scope["lambda_memory_size"])
    return DEFAULT_MEMORY_MB


def _lambda(function: str, duration_ms: float, invocations: int) -> dict[str, Any]:
    memory = memory_mb(function)
    billed_ms = math.ceil(duration_ms)  # Lambda bills whole milliseconds
    gb_seconds = invocations * billed_ms / 1000 * memory / 1024
    return {
        "memory_mb": memory,
        "measured_ms": round(duration_ms, 2),
        "billed_ms": billed_ms,
        "invocations": invocations,
        "gb_seconds": gb_seconds,
        "duration_usd": gb_seconds * PRICES["lambda_per_gb_second"],
        "requests_usd": invocations * PRICES["lambda_per_request"],
        "arithmetic": (
            f"{invocations} × {billed_ms} ms × {memory}/1024 GB = {gb_seconds:.4f} GB-s × "
            f"${PRICES['lambda_per_gb_second']}; {invocations} × ${PRICES['lambda_per_request']:.2e}"
        ),
    }


def per_thousand(
    api_ms: float,
    notify_ms: float,
    api_calls: Mapping[str, float],
    notify_calls: Mapping[str, float],
    extra_lists: float = 0,
    extra_api_ms: Sequence[float] = (),
) -> dict[str, Any]:
    """`*_calls`: AWS calls counted per accepted submission, by "service.Operation".

    `extra_api_ms`: the durations of further API requests each submission brings (the embed script's).
    """
    n = SUBMISSIONS
    puts = api_calls.get("s3.PutObject", 0) + notify_calls.get("s3.PutObject", 0)
    lists = api_calls.get("s3.ListObjectsV2", 0) + extra_lists
    gets = notify_calls.get("s3.GetObject", 0) + notify_calls.get("s3.HeadObject", 0)
    emails = notify_calls.get("sesv2.SendEmail", 0)
    # SQS: S3's notification sends the message, Lambda's poller receives it and deletes it.
    sqs_requests = 3
    api = _lambda("api_handler", api_ms, n)
    notify = _lambda("notify", notify_ms, n)  # batch size 1 at worst: one invocation per submission
    extras = [_lambda("api_handler", max(1.0, ms), n) for ms in extra_api_ms]  # 1 ms is the least billed
    lines = {
        "api_gateway": n * (1 + len(extras)) * PRICES["api_gateway_rest_per_request"],
        "lambda_api_duration": api["duration_usd"] + sum(extra["duration_usd"] for extra in extras),
        "lambda_notify_duration": notify["duration_usd"],
        "lambda_requests": api["requests_usd"] + notify["requests_usd"] + sum(e["requests_usd"] for e in extras),
        "s3_put_list": n * (puts + lists) * PRICES["s3_put_copy_post_list_per_request"],
        "s3_get": n * gets * PRICES["s3_get_head_per_request"],
        "sqs": n * sqs_requests * PRICES["sqs_per_request"],
        "ses": n * emails * PRICES["ses_per_email"],
    }
    total = sum(lines.values())
    lambda_gb_ms = (api["memory_mb"] + notify["memory_mb"]) / 1024 / 1000  # GB-s per ms of both functions
    headroom = (0.20 - (total - lines["lambda_api_duration"] - lines["lambda_notify_duration"])) / (
        n * lambda_gb_ms * PRICES["lambda_per_gb_second"]
    )
    return {
        "total_usd": total,
        "lines_usd": lines,
        "lambda": {"api_handler": api, "notify": notify, "api_handler_extra_requests": extras},
        "counted_per_submission": {
            "s3_put": puts,
            "s3_list": lists,
            "s3_get": gets,
            "ses_email": emails,
            "sqs_requests": sqs_requests,
        },
        "arithmetic": {
            "api_gateway": f"{n} × {1 + len(extras)} × ${PRICES['api_gateway_rest_per_request']:.2e}",
            "s3_put_list": f"{n} × ({puts:g} PUT + {lists:g} LIST) × "
            f"${PRICES['s3_put_copy_post_list_per_request']:.0e}",
            "s3_get": f"{n} × {gets:g} GET × ${PRICES['s3_get_head_per_request']:.0e}",
            "sqs": f"{n} × {sqs_requests} requests (S3's SendMessage, Lambda's Receive and Delete) × "
            f"${PRICES['sqs_per_request']:.0e}",
            "ses": f"{n} × {emails:g} email × ${PRICES['ses_per_email']:.0e}",
        },
        "headroom_ms_per_invocation": headroom,
    }


def estimate(cold: Mapping[str, Any], warm: Mapping[str, Any]) -> dict[str, Any]:
    """Warm: every invocation as long as the measured warm ones; all cold: every one a measured cold start."""
    steady = cold["steady"]
    api_calls = steady["api"]["aws_calls_total"]
    notify_calls = steady["notify"]["aws_calls_total"]
    api_n, notify_n = steady["api"]["requests"], steady["notify"]["requests"]
    api_per = {op: count / api_n for op, count in api_calls.items()}
    notify_per = {op: count / notify_n for op, count in notify_calls.items()}
    source = cold["source"]
    listing = warm["aws_calls_per_request"].get("accepted_idempotency_key", {}).get("s3.ListObjectsV2", 0)
    warm_cost = per_thousand(steady["api"]["warm_wall_ms"], steady["notify"]["warm_wall_ms"], api_per, notify_per)
    cold_cost = per_thousand(source["api"]["total_ms"], source["notify"]["total_ms"], api_per, notify_per)
    keyed = per_thousand(
        steady["api"]["warm_wall_ms"], steady["notify"]["warm_wall_ms"], api_per, notify_per, extra_lists=listing
    )
    cpu_us = warm["median_us"]
    embed = per_thousand(
        steady["api"]["warm_wall_ms"],
        steady["notify"]["warm_wall_ms"],
        api_per,
        notify_per,
        extra_api_ms=[cpu_us["definition_get"] / 1000, cpu_us["preflight_options"] / 1000],
    )
    return {
        "prices": PRICES,
        "prices_source": PRICES_SOURCE,
        "durations": (
            "warm: the median wall time of a warm invocation in the steady runs (AWS on the local emulator, so "
            "network time to real S3, SES and hCaptcha is not in it: see headroom); all cold: every invocation "
            "a cold start of the measured median length (init is billed)"
        ),
        "warm": warm_cost,
        "warm_with_idempotency_key": keyed,
        "all_cold": cold_cost,
        "with_embed_script": {
            "assumes": (
                "each submission also brings the embed script's GET /forms/{form} and CORS preflight, neither "
                "cached by the browser (they are: max-age 300 s and the preflight's Max-Age); each billed 1 ms"
            ),
            **embed,
        },
        "not_included": (
            "CloudWatch Logs (a few lines per submission), S3 storage, the queue pollers' empty receives and "
            "the alarm (fixed monthly costs, not per submission), free tiers"
        ),
    }
