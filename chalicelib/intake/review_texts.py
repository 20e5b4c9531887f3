"""What the review page (GET/POST /forms/{form}/review/{id}) says: the English, by key; translations in the catalogs.

Each answer is a title and a text; {id}, {title} and the like are filled in, and escaped, by review_page.py.
"""

from __future__ import annotations

from chalicelib.core.catalogs import English, Texts

REVIEW_TEXTS: dict[str, English] = {
    "review_title": "Review for the wall",
    "review_intro": (
        "This is what the wall of “{title}” will show of report {id}, received {received}. The "
        "supporter agreed to publish it; nothing else of the report is published."
    ),
    "review_note": "This link works once, until {expires}. Whoever presses a button decides for the campaign.",
    "approve": "Approve and publish",
    "reject": "Reject",
    "approved_title": "Published",
    "approved_text": (
        "Report {id} is on the wall of “{title}” now. The wall shows {count} report.",
        "Report {id} is on the wall of “{title}” now. The wall shows {count} reports.",
    ),
    "rejected_title": "Rejected",
    "rejected_text": "Report {id} will not be published on the wall of “{title}”.",
    "invalid_title": "This link is not valid",
    "invalid_text": (
        "The link is incomplete or was changed. Open it again from the email, or decide from the "
        "console: letterbox wall pending"
    ),
    "expired_title": "This link has expired",
    "expired_text": (
        "Review links work for 30 days. Decide from the console instead: letterbox wall approve "
        "{id} (or letterbox wall reject {id})"
    ),
    "missing_title": "Report not found",
    "missing_text": "There is no report {id} in the form “{title}”: it may have been deleted.",
    "no_wall_title": "No wall",
    "no_wall_text": "The form “{title}” publishes nothing: its schema declares no public fields.",
    "no_consent_title": "Not for the wall",
    "no_consent_text": "The supporter did not agree to publish report {id}: it cannot go on the wall.",
    "encrypted_title": "Encrypted report",
    "encrypted_text": (
        "Report {id} is encrypted and the API cannot read it. Publish it with your key: letterbox "
        "wall approve {id} --identity key.txt"
    ),
    "decided_title": "Already decided",
    "decided_text": (
        "Report {id} was {decision} on {at}. A review link works only once; to change the decision, "
        "use letterbox wall approve, reject or remove {id}."
    ),
    "approved": "approved",
    "rejected": "rejected",
    "removed": "removed from the wall",
    "bad_choice_title": "Nothing was decided",
    "bad_choice_text": "Press Approve or Reject on the review page.",
    "unavailable_title": "Try again in a minute",
    "unavailable_text": "The storage could not be reached. Open the link again in a minute.",
    "key_title": "Try again in a minute",
    "key_text": (
        "The key that checks review links could not be read. Nothing was changed: open the link again in a minute."
    ),
    "not_rebuilt_text": (
        "Report {id} is approved and stored, but the wall could not be updated now. It shows at the "
        "wall's next change, or run: letterbox wall approve {id}"
    ),
}


def review_text(key: str, lang: str, **params: object) -> str:
    """The text for `key` in `lang` (English when there is no translation), with its placeholders filled."""
    texts = Texts(REVIEW_TEXTS, lang, "review.")
    if isinstance(REVIEW_TEXTS[key], tuple):
        count = int(str(params.pop("count")))
        return texts.count(key, count, **params)
    text = texts[key]
    return text.format(**params) if params else text
