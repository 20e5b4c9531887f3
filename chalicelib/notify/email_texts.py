"""What the organizers' emails say: the English, by key; translations in the catalogs (chalicelib/core/catalogs.py).

email_texts(lang) and digest_texts(lang) give them in a language: texts["intro"], texts.count("files_kept", n).
"""

from __future__ import annotations

from chalicelib.core.catalogs import English, Texts

TEXTS: dict[str, English] = {
    "new": "New submission: {title}",
    "intro": "A new submission arrived through the form “{title}”.",
    "yes": "yes",
    "no": "no",
    "id": "Submission id",
    "form": "Form",
    "received": "Received",
    "reply": "Press Reply to answer the sender.",
    "metadata_only": "This form is set to metadata-only mode: the full submission is not in this email.",
    "read_rest": "Read it from the bucket with:",
    "files": "Files",
    "files_attached": ("{count} file attached to this email.", "{count} files attached to this email."),
    "files_linked": "The files are too large to attach ({size} MB in all). Download them within 7 days:",
    "files_kept": ("{count} file is stored with the submission.", "{count} files are stored with the submission."),
    "new_encrypted": "New encrypted submission: {title} ({id})",
    "encrypted": "This form is encrypted: only its clear fields are in this email. The rest is in the attached "
    "file, which only the form's age keys open.",
    "decrypt": "Decrypt the attached file with your key:",
    "encrypted_files": "The files are encrypted too, one .age file each: their names are in {id}.age, and "
    "letterbox files {id} --identity key.txt saves them under those names.",
    "encrypted_digest": "This form is encrypted: only its clear fields are listed. To read a submission: "
    "letterbox show ID --identity key.txt",
}

DIGEST_TEXTS: dict[str, English] = {
    "subject": "{kind}: {title}, {count} new, {period}",
    "hourly": "Hourly digest",
    "daily": "Daily digest",
    "intro": (
        "{count} submission arrived through the form “{title}” from {start} to {end} ({zone}).",
        "{count} submissions arrived through the form “{title}” from {start} to {end} ({zone}).",
    ),
    "list": "Submissions",
    "meta": "id {id}, received {received}",
    "unread": (
        "{count} more submission of this period is listed by id only: read it with letterbox show ID.",
        "{count} more submissions of this period are listed by id only: read them with letterbox show ID.",
    ),
    "short": "The rest are listed above only, to keep this email small: read them with letterbox show ID.",
    "period": "Period",
    "count": "Submissions",
}


# The "Public wall" row of a consenting report's email (chalicelib/notify/wall_note.py).
WALL_TEXTS: dict[str, English] = {
    "label": "Public wall",
    "link": (
        "The supporter agreed to publish this report. See its public copy and approve or reject it "
        "(the link works once, until {expires}; anyone with this email can use it):"
    ),
    "command": "The supporter agreed to publish this report. To review it for the wall:",
    "encrypted": (
        "If the supporter agreed to publish this report, publish its public fields with your key "
        "(the API cannot read encrypted reports):"
    ),
}


def email_texts(lang: str) -> Texts:
    return Texts(TEXTS, lang, "email.")


def digest_texts(lang: str) -> Texts:
    return Texts(DIGEST_TEXTS, lang, "digest.")


def wall_texts(lang: str) -> Texts:
    return Texts(WALL_TEXTS, lang, "email.wall_")
