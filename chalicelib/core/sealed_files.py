"""Files of an encrypted form: encrypted in the supporter's browser to the organizers' age keys.

The API never receives such a file, and S3 never holds it in the clear, not even between upload
and submit: embed/letterbox-age.js encrypts it to the form's recipients, and the browser uploads
only the ciphertext, with no name and the one type application/octet-stream. At submit, the
browser says in `_files` each upload's name, type and size; the API checks that the upload is age
ciphertext of that size, and the name and type are sealed with the rest of the submission.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

AGE_MAGIC = b"age-encryption.org/v1\n"
SEALED_TYPE = "application/octet-stream"
# The submit body's map of upload id -> {"name", "type", "size"}; never stored as it is.
FILE_INFO_FIELD = "_files"
# The sealed JSON's list of the files, beside the form's fields (no form field starts with "_").
SEALED_FILES_KEY = "_files"
CHUNK_BYTES = 64 * 1024
# age's header for X25519 recipients: version and MAC lines and the payload nonce, then a stanza each.
HEADER_BYTES = 86
STANZA_BYTES = 98
# Other age implementations may add a few bytes of "grease" stanzas.
SLACK_BYTES = 1024


@dataclass(frozen=True)
class DeclaredFile:
    name: str
    content_type: str
    size: int


def sealed_size_range(size: int, recipients: int) -> tuple[int, int]:
    """The sizes age ciphertext of `size` bytes to `recipients` keys can have: 16 bytes a chunk, and the header."""
    chunks = max(1, -(-size // CHUNK_BYTES))
    smallest = size + 16 * chunks + HEADER_BYTES + STANZA_BYTES * recipients
    return smallest, smallest + SLACK_BYTES


def largest_sealed(max_bytes: int, recipients: int) -> int:
    return sealed_size_range(max_bytes, recipients)[1]


def declared_file(info: object, upload_id: str) -> DeclaredFile | None:
    """What the browser says of one upload, or None when it says nothing usable."""
    entry = info.get(upload_id) if isinstance(info, Mapping) else None
    if not isinstance(entry, Mapping):
        return None
    name, content_type, size = entry.get("name"), entry.get("type"), entry.get("size")
    if not isinstance(name, str) or not isinstance(content_type, str):
        return None
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        return None
    return DeclaredFile(name, content_type, size)


def sealed_entry(stored_name: str, declared: DeclaredFile) -> dict[str, Any]:
    """One file as the sealed JSON lists it: the attachment's name in the email, and the file's own."""
    return {"file": stored_name, "name": declared.name, "type": declared.content_type, "size": declared.size}
