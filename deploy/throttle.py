"""API Gateway's throttling of the stage's REST API: letterbox.toml's throttle_rate and throttle_burst, applied.

letterbox keeps no IP address, so nothing limits one client: the stage's rate (steady requests per
second) and burst bound everyone together, and API Gateway answers 429 beyond them. The values are
method settings for every method (`/*/*/throttling/...`); the stage is read first, so a deploy with
the same values changes nothing. The operator's credentials make the calls, not the functions'.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chalicelib.core.config_file import ConfigFile

from .stack import DeployError

ALL_METHODS = "*/*"


@dataclass(frozen=True)
class Throttle:
    rate: float
    burst: int

    @classmethod
    def of(cls, config: ConfigFile, stage: str) -> Throttle:
        """The stage's values, already checked when letterbox.toml was parsed (defaults where unset)."""
        values = config.stage_lookup(stage)
        return cls(float(values["throttle_rate"]), int(values["throttle_burst"]))


@dataclass(frozen=True)
class RestApi:
    api_id: str
    stage_name: str  # API Gateway's stage (Chalice's api_gateway_stage, "api"), not Chalice's


def deployed_rest_api(project_dir: Path, stage: str) -> RestApi:
    """The REST API `chalice deploy` made for `stage`, as it recorded it in .chalice/deployed/STAGE.json."""
    path = project_dir / ".chalice" / "deployed" / f"{stage}.json"
    try:
        resources = json.loads(path.read_text(encoding="utf-8")).get("resources", [])
    except (OSError, ValueError) as error:
        raise DeployError(f"cannot read {path.name} that chalice deploy writes: {error}") from None
    for resource in resources:
        if resource.get("resource_type") == "rest_api":
            stage_name = urlsplit(resource["rest_api_url"]).path.strip("/").split("/")[0]
            return RestApi(resource["rest_api_id"], stage_name)
    raise DeployError(f".chalice/deployed/{stage}.json names no REST API: did chalice deploy finish?")


def current(settings: Mapping[str, Any]) -> tuple[float, int] | None:
    every = settings.get(ALL_METHODS)
    if not every or "throttlingRateLimit" not in every or "throttlingBurstLimit" not in every:
        return None
    return float(every["throttlingRateLimit"]), int(every["throttlingBurstLimit"])


def apply(apigateway: Any, api: RestApi, throttle: Throttle, say: Callable[[str], None]) -> bool:
    """Set the stage's rate and burst unless it has them already; True when it was changed."""
    stage = apigateway.get_stage(restApiId=api.api_id, stageName=api.stage_name)
    if current(stage.get("methodSettings", {})) == (throttle.rate, throttle.burst):
        return False
    apigateway.update_stage(
        restApiId=api.api_id,
        stageName=api.stage_name,
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": _number(throttle.rate)},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": str(throttle.burst)},
        ],
    )
    say(f"API Gateway stage {api.stage_name}: throttled to {_number(throttle.rate)} requests/s, burst {throttle.burst}")
    return True


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)
