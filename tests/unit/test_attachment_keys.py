"""Kept copies of attachments are named by ids and indexes only: a file's name stays in the record."""

from __future__ import annotations

from typing import Any

from chalicelib.core.attachments import AttachmentStore, UploadedFile

SUBMISSION_ID = "01KAX3Z8W6V1R2F7D9QH0M4N5P"


class RecordingS3:
    """Just enough of an S3 client for keep(): it remembers each copy asked of it."""

    def __init__(self) -> None:
        self.copies: list[dict[str, Any]] = []

    def copy_object(self, **request: Any) -> dict[str, Any]:
        self.copies.append(request)
        return {}


def test_kept_copies_carry_only_the_submission_id_and_an_index() -> None:
    s3 = RecordingS3()
    files = [
        UploadedFile("01KUPLOAD1", "скан факса.pdf", "application/pdf", 2137, "uploads/letter-copy/01KUPLOAD1"),
        UploadedFile("01KUPLOAD2", "Letter to the court.png", "image/png", 1024, "uploads/letter-copy/01KUPLOAD2"),
    ]

    kept = AttachmentStore(s3, "bucket").keep(files, SUBMISSION_ID)  # type: ignore[arg-type]

    assert [a.key for a in kept] == [f"attachments/{SUBMISSION_ID}/1", f"attachments/{SUBMISSION_ID}/2"]
    assert [(a.name, a.content_type, a.size) for a in kept] == [
        ("скан факса.pdf", "application/pdf", 2137),
        ("Letter to the court.png", "image/png", 1024),
    ]
    assert [copy["Key"] for copy in s3.copies] == [a.key for a in kept]
    for copy in s3.copies:
        # REPLACE with no metadata: the upload's filename does not follow the copy.
        assert copy["MetadataDirective"] == "REPLACE"
        assert copy["Metadata"] == {}
        assert "Letter" not in repr(copy)
        assert "%D1%81" not in repr(copy)  # nor the URL-quoted Cyrillic name
