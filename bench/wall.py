"""The wall's feed per request, as the wall grows: CPU and S3 requests at 200, 2,000 and 20,000 entries.

    python -m bench.wall --plan JSON    (the child; prints `BENCH {json}` as its last line)

The parent (measure) seeds one bucket of the LocalAws it is given per size with N published
entries (moto's own put_object, in the process that runs its server: 30 countries, the form's 7
kinds), then publishes the whole feed (WallStore.rebuild over HTTP: its time and requests are the
"publish" figures, from the server's request log), then approves one more report as the review
link does (WallStore.add_to_feed: the "approve_one" figures). The child calls the API
function as Lambda does (app(event, context), API Gateway proxy events built beforehand) against
that local AWS over HTTP, for each size in turn, round after round: page 1 of the whole wall (200),
the same with its ETag (304), page 1 of one country (200), the Atom document (200). CPU is the
calling thread's (time.thread_time: moto runs in the parent), wall time perf_counter; S3 requests
are counted on the function's client (botocore before-send). Medians over the rounds.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import FORM, LambdaContext, api_event, median, now, run_part

SIZES = (200, 2_000, 20_000)
COUNTRIES = 30
KINDS = ("picket", "embassy", "petition", "banner", "media", "letters", "other")
RUN_TIMEOUT = 1800
# The cost of a request may not grow with the wall: the largest's CPU within this of the smallest's.
TARGET_RATIO = 1.2
WALL_RESOURCE = "/forms/{form}/wall"
ATOM_RESOURCE = "/forms/{form}/wall.atom"
VARIANTS = ("page_200", "page_304", "country_200", "atom_200")
VIEWS_PER_MILLION = 1_000_000
# An assumption, said in the results: S3's first-byte latency from Lambda in the same region.
S3_LATENCY_MS = 20.0
CACHE_HIT_RATES = (0.0, 0.9)


def bucket_for(size: int) -> str:
    return f"letterbox-bench-wall-{size}"


def seed_entries(bucket: str, size: int) -> None:
    """N public entries, newest last, straight into moto's backend (as WallStore.publish writes them)."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    from chalicelib.core import ids, wall_feed
    from chalicelib.core.wall import entry_key

    backend = s3_backends[DEFAULT_ACCOUNT_ID]["global"]
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for n in range(size):
        submission_id = ids.new_submission_id(start + timedelta(seconds=n))
        fields = {
            "kind": KINDS[n % len(KINDS)],
            "date": "2026-11-14",
            "city": f"City {n}",
            "country": f"Country {n % COUNTRIES}",
            "description": "Twenty people in front of the embassy, with banners and the two portraits. " * 3,
            "links": ["https://example.org/photo", "https://example.org/article"],
        }
        body = json.dumps(wall_feed.entry(submission_id, "2026-12-02T16:40:00Z", fields), ensure_ascii=False)
        backend.put_object(bucket, entry_key(FORM, submission_id), body.encode())


def measure(
    aws: Any, sizes: Sequence[int], rounds: int, requests: int, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """`aws` is a started bench.aws.LocalAws (its moto server runs in this process)."""
    import boto3

    from bench.stored import RequestLog
    from chalicelib.core.wall_store import WallStore

    sizes = sorted(set(sizes))
    s3 = boto3.client("s3", endpoint_url=aws.url)
    publish = {}
    for size in sizes:
        bucket = bucket_for(size)
        s3.create_bucket(Bucket=bucket)
        seed_entries(bucket, size)
        with RequestLog(bucket).active() as counted:
            started = now()
            built = WallStore(s3, bucket).rebuild(FORM)
            publish[str(size)] = {"seconds": now() - started, "requests": dict(counted.counts), **built["objects"]}
        log(f"  wall of {size:,}: published {built['objects']['written']:,} objects in {now() - started:.1f} s")
        publish[str(size)]["approve_one"] = approve_one(s3, bucket, size)
        log(f"  wall of {size:,}: one more approved in {publish[str(size)]['approve_one']['seconds']:.2f} s")
    plan = {"sizes": sizes, "rounds": rounds, "requests": requests}
    env = {**aws.child_env(), "LETTERBOX_BUCKET": bucket_for(sizes[0])}
    measured = run_part("bench.wall", ["--plan", json.dumps(plan)], env, RUN_TIMEOUT)
    return summarise(measured, sizes, publish, rounds, requests)


def approve_one(s3: Any, bucket: str, size: int) -> dict[str, Any]:
    """One more report approved (as the review link and `letterbox wall approve` do): publish, add to the feed.

    The newest entry of a country already on the wall, so that it joins four views; the figures are the
    time and the requests from the publish to the last write. A rebuild after it must change nothing.
    """
    from bench.stored import RequestLog
    from chalicelib.core import ids
    from chalicelib.core.wall_store import WallStore

    store = WallStore(s3, bucket)
    submission_id = ids.new_submission_id(datetime(2026, 11, 1, tzinfo=UTC) + timedelta(seconds=size))
    fields = {"kind": KINDS[0], "date": "2026-11-14", "city": "Riga", "country": "Country 0", "description": "More."}
    with RequestLog(bucket).active() as counted:
        started = now()
        store.add_to_feed(FORM, store.publish(FORM, submission_id, fields))
        seconds = now() - started
    if WallStore(s3, bucket).rebuild(FORM)["objects"]["written"]:
        raise RuntimeError("the feed after one approval differs from a rebuild's")
    return {"seconds": seconds, "requests": dict(counted.counts)}


def summarise(
    samples: Mapping[str, Any], sizes: Sequence[int], publish: Mapping[str, Any], rounds: int, requests: int
) -> dict[str, Any]:
    by_size: dict[str, Any] = {}
    for size in sizes:
        runs = samples[str(size)]
        by_size[str(size)] = {
            variant: {
                "cpu_us": median(runs[variant]["cpu_us"]),
                "wall_ms": median(runs[variant]["wall_ms"]),
                "s3_requests_per_request": runs[variant]["s3_requests"] / runs[variant]["requests"],
                "status": runs[variant]["status"],
            }
            for variant in VARIANTS
        } | {"publish": publish[str(size)]}
    smallest, largest = by_size[str(sizes[0])], by_size[str(sizes[-1])]
    ratios = {
        str(size): {
            variant: by_size[str(size)][variant]["cpu_us"] / smallest[variant]["cpu_us"] for variant in VARIANTS
        }
        for size in sizes
    }
    return {
        "method": __doc__.split("\n\n", 2)[2].replace("\n", " ").strip() if __doc__ else "",
        "rounds": rounds,
        "requests_per_round": requests,
        "sizes": by_size,
        "cpu_ratio_to_smallest": ratios,
        "largest_cpu_ratio": max(ratios[str(sizes[-1])].values()),
        "target_ratio": TARGET_RATIO,
        "cost_per_million_views": cost_per_million(largest),
    }


def cost_per_million(figures: Mapping[str, Any]) -> dict[str, Any]:
    """API Gateway + Lambda + S3 GET for 1,000,000 feed views, at bench/cost.py's list prices."""
    from bench.cost import PRICES, PRICES_SOURCE, memory_mb

    memory = memory_mb("api_handler")
    scenarios = {}
    for variant in ("page_200", "page_304"):
        measured = figures[variant]["wall_ms"]
        for label, ms in (("measured", measured), ("with_s3_latency", measured + S3_LATENCY_MS)):
            billed = math.ceil(ms)
            per_request = (
                PRICES["api_gateway_rest_per_request"]
                + PRICES["lambda_per_request"]
                + billed / 1000 * memory / 1024 * PRICES["lambda_per_gb_second"]
                + figures[variant]["s3_requests_per_request"] * PRICES["s3_get_head_per_request"]
            )
            for hit_rate in CACHE_HIT_RATES:
                reaching = VIEWS_PER_MILLION * (1 - hit_rate)
                scenarios[f"{variant}_{label}_cache_{hit_rate:.0%}"] = {
                    "billed_ms": billed,
                    "requests_reaching_the_api": reaching,
                    "usd": reaching * per_request,
                }
    return {
        "prices_source": PRICES_SOURCE,
        "memory_mb": memory,
        "assumes": (
            f"every view one feed request; billed duration = the measured wall time against the local AWS, "
            f"rounded up to the ms, or that plus {S3_LATENCY_MS:g} ms for S3's latency from Lambda; cache: the "
            "share of views a browser cache (max-age=60) or a CDN answers without reaching API Gateway (the "
            "CDN's own price not included); no free tier"
        ),
        "scenarios": scenarios,
    }


def _events(size: int, etag: str) -> dict[str, dict[str, Any]]:
    params = {"form": FORM}

    def get(resource: str, query: dict[str, str] | None = None, **headers: str) -> dict[str, Any]:
        event = api_event(resource, params, "", headers, method="GET")
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} if query else None
        return event

    return {
        "page_200": get(WALL_RESOURCE),
        "page_304": get(WALL_RESOURCE, None, **{"If-None-Match": etag}),
        "country_200": get(WALL_RESOURCE, {"country": f"country {size % COUNTRIES}"}),
        "atom_200": get(ATOM_RESOURCE),
    }


class SentRequests:
    """HTTP requests a client sent (botocore's before-send: once per attempt, retries included)."""

    def __init__(self) -> None:
        self.requests = 0

    def count(self, **_: Any) -> None:
        self.requests += 1


def run_plan(plan: Mapping[str, Any]) -> dict[str, Any]:
    """The child's side: every variant at every size, `requests` times a round, rounds interleaving the sizes."""
    from app import app
    from chalicelib import runtime

    context = LambdaContext()
    expected = {"page_200": 200, "page_304": 304, "country_200": 200, "atom_200": 200}
    found: dict[str, Any] = {
        str(size): {v: {"cpu_us": [], "wall_ms": [], "s3_requests": 0, "requests": 0, "status": 0} for v in VARIANTS}
        for size in plan["sizes"]
    }
    for _ in range(int(plan["rounds"])):
        for size in plan["sizes"]:
            os.environ["LETTERBOX_BUCKET"] = bucket_for(size)
            runtime.reset()
            counter = SentRequests()
            runtime.s3_client().meta.events.register("before-send.s3.*", counter.count)
            first = app(_events(size, "")["page_200"], context)
            events = _events(size, str(first["headers"]["ETag"]))
            for variant in VARIANTS:  # warm: imports, connections, the route's first use
                app(events[variant], context)
            for variant in VARIANTS:
                entry = found[str(size)][variant]
                counter.requests = 0
                cpu, wall = time.thread_time_ns(), time.perf_counter()
                for _ in range(int(plan["requests"])):
                    answer = app(events[variant], context)
                    if answer["statusCode"] != expected[variant]:
                        raise RuntimeError(f"{variant} at {size}: {answer['statusCode']} {answer['body'][:200]}")
                cpu, wall = time.thread_time_ns() - cpu, time.perf_counter() - wall
                entry["cpu_us"].append(cpu / 1000 / int(plan["requests"]))
                entry["wall_ms"].append(wall * 1000 / int(plan["requests"]))
                entry["s3_requests"] += counter.requests
                entry["requests"] += int(plan["requests"])
                entry["status"] = answer["statusCode"]
        print(f"  wall feed round done: {', '.join(map(str, plan['sizes']))}", file=sys.stderr)
    return found


def table_rows(figures: Mapping[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    sizes = sorted(figures["sizes"], key=int)
    smallest = figures["sizes"][sizes[0]]
    labels = " / ".join(f"{int(size):,}" for size in sizes)
    rows = []
    for variant, title in (("page_200", "page 1, 200"), ("page_304", "page 1, 304"), ("country_200", "a country, 200")):
        cpu = " / ".join(f"{figures['sizes'][size][variant]['cpu_us']:.0f}" for size in sizes)
        gets = " / ".join(f"{figures['sizes'][size][variant]['s3_requests_per_request']:g}" for size in sizes)
        ratio = figures["cpu_ratio_to_smallest"][sizes[-1]][variant]
        rows.append(
            (
                f"Wall feed request ({title}) with {labels} entries published (local AWS), median of "
                f"{figures['rounds']} × {figures['requests_per_round']}",
                f"{cpu} µs CPU; {gets} S3 requests per request",
                f"{smallest[variant]['cpu_us']:.0f} µs CPU at {int(sizes[0]):,}",
                f"{ratio:.2f}× largest ÷ smallest",
                f"≤ {figures['target_ratio']:g}× (the same cost at any size)",
                "yes" if ratio <= figures["target_ratio"] else "**no**",
            )
        )
    published = [figures["sizes"][size]["publish"] for size in sizes]
    publish = " / ".join(f"{each['seconds']:.1f} s, {each['written']:,} objects" for each in published)
    approve = " / ".join(
        f"{each['approve_one']['seconds']:.2f} s, {sum(each['approve_one']['requests'].values()):,} S3 requests"
        for each in published
    )
    spend = figures["cost_per_million_views"]["scenarios"]
    rows.append(
        (
            "Wall feed: cost per 1,000,000 views (us-east-1 list prices, API Gateway + Lambda + S3 GET)",
            f"${spend['page_200_with_s3_latency_cache_0%']['usd']:.2f} if every view reaches the API (200, "
            f"+{S3_LATENCY_MS:g} ms S3 latency), ${spend['page_304_with_s3_latency_cache_0%']['usd']:.2f} as 304s, "
            f"${spend['page_200_with_s3_latency_cache_90%']['usd']:.2f} with 90% answered by caches; the whole "
            f"feed rebuilt (`letterbox wall rebuild`): {publish}; one more report approved (the review link, "
            f"`letterbox wall approve`): {approve}",
            "",
            "",
            "reported",
            "—",
        )
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.wall", description=__doc__.splitlines()[0] if __doc__ else ""
    )
    parser.add_argument("--plan", required=True, help='JSON: {"sizes": […], "rounds": n, "requests": n}')
    args = parser.parse_args(argv)
    if not os.environ.get("AWS_ENDPOINT_URL"):
        parser.error("run by bench/__main__.py against the local AWS (AWS_ENDPOINT_URL is not set)")
    print("BENCH " + json.dumps(run_plan(json.loads(args.plan))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
