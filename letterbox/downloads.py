"""Saving attachments to disk under their original names, safely and idempotently."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from chalicelib.core.record import StoredAttachment

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Separators, controls, and what Windows refuses in a name (an organizer may unzip there).
UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f/\\<>:"|?*\u200e\u200f\u202a-\u202e\u2066-\u2069]')
WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)), *(f"LPT{n}" for n in range(1, 10))}
)
# Most file systems allow 255 bytes per name; keep room for " (2)".
NAME_BYTES = 200
CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class PlannedFile:
    attachment: StoredAttachment
    path: Path


def safe_name(name: str, index: int) -> str:
    """A name that stays inside its folder and shows as the supporter's file: no path, no controls."""
    cleaned = UNSAFE.sub("_", unicodedata.normalize("NFC", name)).strip().strip(".")
    stem, dot, suffix = cleaned.rpartition(".")
    if not stem or len(suffix) > 10:
        stem, dot, suffix = cleaned, "", ""
    if stem.split(".")[0].upper() in WINDOWS_RESERVED:
        stem = f"_{stem}"
    ending = f"{dot}{suffix}"
    while len((stem + ending).encode()) > NAME_BYTES:
        stem = stem[:-1]
    return f"{stem}{ending}" if stem.strip() else f"file-{index}{ending}"


def plan(attachments: Sequence[StoredAttachment], folder: Path) -> list[PlannedFile]:
    """Where each file goes; two files of one name get " (2)", in the record's order, so a rerun agrees."""
    taken: set[str] = set()
    planned = []
    for index, attachment in enumerate(attachments, start=1):
        name = safe_name(attachment.name, index)
        stem, dot, suffix = name.rpartition(".") if "." in name else (name, "", "")
        candidate, copy = name, 1
        while candidate.casefold() in taken:  # case-insensitive: macOS and Windows would merge them
            copy += 1
            candidate = f"{stem} ({copy}){dot}{suffix}"
        taken.add(candidate.casefold())
        planned.append(PlannedFile(attachment, folder / candidate))
    return planned


def already_there(planned: PlannedFile) -> bool:
    """A file of the right size is taken as downloaded: running an export twice fetches nothing twice."""
    return planned.path.is_file() and planned.path.stat().st_size == planned.attachment.size


def download(
    s3: S3Client,
    bucket: str,
    planned: PlannedFile,
    progress: Callable[[int], None],
    open_sealed: Callable[[bytes], bytes] | None = None,
) -> None:
    """Fetch one file, whole or not at all: a partial file never stands under the real name.

    An encrypted form's file is decrypted with `open_sealed` (at most the form's size limit, in memory).
    """
    planned.path.parent.mkdir(parents=True, exist_ok=True)
    partial = planned.path.with_name(f".{planned.path.name}.partial")
    body = s3.get_object(Bucket=bucket, Key=planned.attachment.key)["Body"]
    with partial.open("wb") as out:
        if planned.attachment.sealed and open_sealed is not None:
            ciphertext = body.read()
            out.write(open_sealed(ciphertext))
            progress(len(ciphertext))
        else:
            for chunk in body.iter_chunks(CHUNK_BYTES):
                out.write(chunk)
                progress(len(chunk))
    partial.replace(planned.path)
