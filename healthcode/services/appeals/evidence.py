"""An appeal's optional evidence: one image or PDF, size-limited, kept in the blob store.

The type is read from the file's first bytes, never trusted from its name or the
browser's declared type, so a page or a script cannot be stored as "evidence".
"""

from __future__ import annotations

from typing import BinaryIO

from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.services.shared.env import Env

FIELD = "evidence"
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"%PDF-", "application/pdf"),
)


def sniff(head: bytes) -> str | None:
    """The content type of an image or PDF by its first bytes, None for anything else."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_evidence(env: Env, upload: BinaryIO) -> tuple[str, int]:
    """The type and size of an upload, or a field error naming the limit it breaks."""
    size = upload.seek(0, 2)
    upload.seek(0)
    if size == 0:
        raise InvalidInput.single(FIELD, "empty", N_("The file is empty: choose another"))
    limit = env.settings.appeal_evidence_max_bytes
    if size > limit:
        raise InvalidInput.single(
            FIELD,
            "too_large",
            N_("The file is too large: at most {limit} MB"),
            limit=f"{round(limit / 1024 / 1024, 1):g}",
        )
    kind = sniff(upload.read(16))
    upload.seek(0)
    if kind is None:
        raise InvalidInput.single(
            FIELD, "wrong_type", N_("Send a photo (JPEG, PNG or WebP) or a PDF document")
        )
    return kind, size


def store_evidence(env: Env, upload: BinaryIO | None) -> tuple[str, str, int] | None:
    """Check and keep the evidence (before the row that refers to it): key, type, size."""
    if upload is None:
        return None
    kind, size = check_evidence(env, upload)
    return env.blobs.put(upload), kind, size
