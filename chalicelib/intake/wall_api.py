"""GET /forms/{form}/wall and /wall.atom: a page the console rendered, passed through as stored.

One S3 GET of a bounded object per request, whatever the wall holds: no listing, no parsing, no
rendering. The ETag is S3's; a caller's If-None-Match goes to S3 as a conditional GET, so a 304
reads no body. Only what was never rendered is made here, and it is small: a filter nothing
matches, a wall nothing was published on (an empty page), a page past the end (a second GET: the
view's page 1, for its counts).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from chalice.app import Response

from chalicelib.core import wall_pages
from chalicelib.core.aws_errors import ObjectMissing, StorageUnavailable, s3_errors
from chalicelib.core.forms import FormDefinition, FormRegistry
from chalicelib.core.wall import WallFields, atom_key, page_key, wall_fields
from chalicelib.core.wall_atom import atom_feed
from chalicelib.core.wall_filters import BadFilter, chosen_filters, view_name
from chalicelib.intake import problems
from chalicelib.intake.request import find_form

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CACHE_CONTROL = "public, max-age=60"
JSON_TYPE = wall_pages.JSON_TYPE
ATOM_TYPE = wall_pages.ATOM_TYPE
# Up to a million pages: more digits is not a page anyone has.
PAGE = re.compile(r"^[1-9][0-9]{0,5}$")
ENTITY_TAG = re.compile(r'^(?:W/)?("[\x21\x23-\x7e\x80-\xff]{0,200}")$')
# A browser sends one tag, a shared cache a few: a longer header is not worth reading.
MAX_IF_NONE_MATCH = 2000


@dataclass(frozen=True)
class Stored:
    """What S3 answered: the bytes (none for a 304) and its ETag."""

    not_modified: bool
    body: bytes
    etag: str


class WallReader:
    def __init__(self, s3: S3Client, bucket: str, forms: FormRegistry) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._forms = forms

    def feed(self, form_name: str, query: Mapping[str, str] | None, if_none_match: str | None) -> Response:
        form = self._wall_form(form_name)
        number = page_number(query)
        try:
            view = view_name(chosen_filters(query))
        except BadFilter as error:
            raise problems.BadFilter(error.name, error.reason) from None
        stored = self._get(page_key(form.name, view, number), if_none_match)
        if stored is not None:
            return stored_response(stored, JSON_TYPE)
        body = wall_pages.to_json(self._not_rendered(form.name, view, number))
        return cached_response(body.decode(), JSON_TYPE, if_none_match)

    def atom(self, form_name: str, if_none_match: str | None) -> Response:
        form = self._wall_form(form_name)
        stored = self._get(atom_key(form.name), if_none_match)
        if stored is not None:
            return stored_response(stored, ATOM_TYPE)
        return cached_response(atom_feed(form, self._fields(form), []), ATOM_TYPE, if_none_match)

    def _wall_form(self, form_name: str) -> FormDefinition:
        form = find_form(self._forms, form_name)
        self._fields(form)
        return form

    def _fields(self, form: FormDefinition) -> WallFields:
        fields = wall_fields(form)
        if fields is None:
            raise problems.NoWall()
        return fields

    def _not_rendered(self, form: str, view: str, number: int) -> dict[str, Any]:
        first = None if number == 1 else self._get(page_key(form, view, 1), None)
        if first is None:
            return wall_pages.empty_page(form, number)
        return wall_pages.beyond_the_end(json.loads(first.body), number)

    def _get(self, key: str, if_none_match: str | None) -> Stored | None:
        """The object, or a 304 when it still has a tag the caller holds; None when there is no such object."""
        tags = entity_tags(if_none_match)
        # S3 takes one tag: with several (a shared cache's), compare them here, before reading the body.
        condition = {"IfNoneMatch": tags[0]} if len(tags) == 1 else {}
        try:
            with s3_errors("get"):
                try:
                    answer = self._s3.get_object(Bucket=self._bucket, Key=key, **condition)  # type: ignore[arg-type]
                except ClientError as error:
                    if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 304:
                        return Stored(True, b"", tags[0])
                    raise
                etag = str(answer["ETag"])
                if etag in tags:
                    answer["Body"].close()
                    return Stored(True, b"", etag)
                return Stored(False, answer["Body"].read(), etag)
        except ObjectMissing:
            return None
        except StorageUnavailable:
            raise problems.ServiceUnavailable("wall_unavailable") from None


def page_number(query: Mapping[str, str] | None) -> int:
    given = (query or {}).get("page")
    if given is None:
        return 1
    if not PAGE.match(given):
        raise problems.BadPage()
    return int(given)


def entity_tags(if_none_match: str | None) -> list[str]:
    """The strong form of each well-formed tag (W/"x" matches "x": If-None-Match compares weakly)."""
    if not if_none_match or len(if_none_match) > MAX_IF_NONE_MATCH:
        return []
    found = [ENTITY_TAG.match(part.strip()) for part in if_none_match.split(",")]
    return [match.group(1) for match in found if match]


def stored_response(stored: Stored, content_type: str) -> Response:
    headers: dict[str, str | list[str]] = {"ETag": stored.etag, "Cache-Control": CACHE_CONTROL}
    if stored.not_modified:
        return Response(body="", status_code=304, headers=headers)
    headers |= {"Content-Type": content_type, "X-Content-Type-Options": "nosniff"}
    # Lambda's answer is JSON: the bytes go as text (they are UTF-8, as the console wrote them).
    return Response(body=stored.body.decode(), status_code=200, headers=headers)


def cached_response(body: str, content_type: str, if_none_match: str | None) -> Response:
    """What was made here (not stored): 200 with an ETag of the body, or 304 when the caller holds it."""
    tag = f'"{hashlib.sha256(body.encode()).hexdigest()[:32]}"'
    return stored_response(Stored(tag in entity_tags(if_none_match), body.encode(), tag), content_type)
