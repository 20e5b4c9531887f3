"""GET /forms/{form}/wall and /wall.atom: the published feed, one S3 GET per request, cached by ETag."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalice.app import Response

from chalicelib.core import wall_feed
from chalicelib.core.aws_errors import StorageUnavailable
from chalicelib.core.forms import FormDefinition, FormRegistry
from chalicelib.core.storage import read_object
from chalicelib.core.wall import WallFields, feed_key, wall_fields
from chalicelib.intake import problems
from chalicelib.intake.request import find_form

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CACHE_CONTROL = "public, max-age=60"
JSON_TYPE = "application/json; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
# Up to a million pages: more digits is not a page anyone has.
PAGE = re.compile(r"^[1-9][0-9]{0,5}$")


@dataclass(frozen=True)
class Wall:
    form: FormDefinition
    fields: WallFields
    feed: Mapping[str, Any]


class WallReader:
    def __init__(self, s3: S3Client, bucket: str, forms: FormRegistry) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._forms = forms

    def read(self, form_name: str) -> Wall:
        """The form's feed as the console last built it; an empty one when nothing was ever published."""
        form = find_form(self._forms, form_name)
        fields = wall_fields(form)
        if fields is None:
            raise problems.NoWall()
        try:
            raw = read_object(self._s3, self._bucket, feed_key(form.name))
        except StorageUnavailable:
            raise problems.ServiceUnavailable("wall_unavailable") from None
        feed = wall_feed.empty_feed(form.name) if raw is None else json.loads(raw)
        return Wall(form, fields, feed)


def page_number(query: Mapping[str, str] | None) -> int:
    given = (query or {}).get("page")
    if given is None:
        return 1
    if not PAGE.match(given):
        raise problems.BadPage()
    return int(given)


def feed_body(wall: Wall, page: int) -> str:
    return json.dumps(wall_feed.feed_page(wall.feed, page), ensure_ascii=False, separators=(",", ":"))


def cached_response(body: str, content_type: str, if_none_match: str | None) -> Response:
    """200 with an ETag of the body, or 304 when the caller already holds it."""
    tag = f'"{hashlib.sha256(body.encode()).hexdigest()[:32]}"'
    headers: dict[str, str | list[str]] = {"ETag": tag, "Cache-Control": CACHE_CONTROL}
    if if_none_match is not None and _matches(if_none_match, tag):
        return Response(body="", status_code=304, headers=headers)
    headers |= {"Content-Type": content_type, "X-Content-Type-Options": "nosniff"}
    return Response(body=body, status_code=200, headers=headers)


def _matches(if_none_match: str, tag: str) -> bool:
    # A weak comparison, as RFC 9110 asks for If-None-Match: W/"x" matches "x".
    given = {part.strip().removeprefix("W/") for part in if_none_match.split(",")}
    return "*" in given or tag in given
