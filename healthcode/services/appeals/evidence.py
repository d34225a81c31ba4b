"""An appeal's optional evidence: one image or PDF, size-limited, kept in the blob store.

The type is read from the file's first bytes, never trusted from its name or the
browser's declared type, so a page or a script cannot be stored as "evidence".
"""

from __future__ import annotations

from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.services.shared.env import Env

FIELD = "evidence"
MAX_PIXELS = 50_000_000  # a phone's photo is 12–48 megapixels
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
    if kind.startswith("image/"):
        _check_image(upload)
    return kind, size


def _check_image(upload: BinaryIO) -> None:
    """An image is one a viewer can open, of a photo's size: until stop 43 a PNG's first
    bytes before anything (a page, a script) passed, and so did a 69-byte PNG claiming
    100,000 × 100,000 pixels, which an officer's browser would try to lay out (an
    outside probe). Only the header is read for the size, then the file is checked."""
    too_large = InvalidInput.single(
        FIELD,
        "too_many_pixels",
        N_("The photo is too large: at most {megapixels} megapixels"),
        megapixels=MAX_PIXELS // 1_000_000,
    )
    try:
        with Image.open(upload) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise too_large
            image.verify()
    except Image.DecompressionBombError:  # Pillow's own bound, past ours
        raise too_large from None
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise InvalidInput.single(
            FIELD, "unreadable_image", N_("This photo cannot be opened: send it again")
        ) from None
    finally:
        upload.seek(0)


def store_evidence(env: Env, upload: BinaryIO | None) -> tuple[str, str, int] | None:
    """Check and keep the evidence (before the row that refers to it): key, type, size."""
    if upload is None:
        return None
    kind, size = check_evidence(env, upload)
    return env.blobs.put(upload), kind, size
