"""Sample entries on the demo's wall, so that `make dev` shows one: published as `letterbox wall approve` would.

They are wall entries only (no submission behind them, no email): `letterbox --local wall list`
shows them and `letterbox --local wall remove ID` takes one down. Seeded only on an empty wall.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.core import ids
from chalicelib.core.wall_store import WallStore

FORM = "action-report"
START = datetime(2026, 11, 14, 9, 0, tzinfo=UTC)
SAMPLES: tuple[dict[str, Any], ...] = (
    {
        "kind": "picket",
        "date": "2026-11-14",
        "city": "Berlin",
        "country": "Germany",
        "description": "Twenty people in front of the embassy, with banners and the two portraits.",
        "links": ["https://example.org/berlin-picket"],
    },
    {
        "kind": "banner",
        "date": "2026-11-15",
        "city": "Riga",
        "country": "Latvia",
        "description": "A banner on the Stone Bridge: «Free them».",
        "links": [],
    },
    {
        "kind": "petition",
        "date": "2026-11-16",
        "city": "Tbilisi",
        "country": "Georgia",
        "description": "1,200 signatures handed over at the consulate.",
        "links": ["https://example.org/petition", "https://example.org/photos"],
    },
    {
        "kind": "picket",
        "date": "2026-11-17",
        "city": "Москва",
        "country": "Россия",
        "description": "Одиночные пикеты у здания суда.\nНикого не задержали.",
        "links": [],
    },
    {
        "kind": "media",
        "date": "2026-11-18",
        "city": "Hamburg",
        "country": "germany",
        "description": "A radio interview about the case.",
        "links": ["https://example.org/interview"],
    },
    {
        "kind": "letters",
        "date": "2026-11-19",
        "city": "Chișinău",
        "country": "Moldova",
        "description": "Forty letters to the prosecutor's office, sent by fax.",
        "links": [],
    },
)


def seed_demo_wall(s3: Any, bucket: str) -> int:
    """How many sample entries were published (none when the wall already shows something)."""
    store = WallStore(s3, bucket)
    if store.entries(FORM):
        return 0
    for n, fields in enumerate(SAMPLES):
        store.publish(FORM, ids.new_submission_id(START + timedelta(hours=n)), fields)
    store.rebuild(FORM)
    return len(SAMPLES)
