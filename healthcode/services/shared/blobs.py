"""The blob store: where large uploads (temperature videos) live, outside the database.

One small interface, two implementations behind it (``store/blobs.py``): a directory
on the server's disk (the default) and an S3-compatible bucket. Keys are random ids
the store chooses; the database row that refers to a blob is written only after the
blob exists, so a crash between leaves at worst an unreferenced blob, which the
sweeper (``jobs/videos.py``) deletes once it is older than ``ORPHAN_GRACE``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import BinaryIO, Protocol

from healthcode.config import Settings

# an upload writes its blob a moment before its row commits: never sweep younger blobs
ORPHAN_GRACE = timedelta(hours=1)


class BlobStore(Protocol):
    def put(self, source: BinaryIO) -> str:
        """Store the stream's bytes (from its start) durably; the new blob's key."""

    def size(self, key: str) -> int | None:
        """The blob's length in bytes, None if there is no such blob."""

    def read(self, key: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes ``start`` to ``end`` inclusive, in chunks."""

    def delete(self, key: str) -> None:
        """Remove the blob; nothing happens if it is already gone."""

    def listing(self) -> Iterator[tuple[str, datetime]]:
        """Every blob (and every unfinished write) with when it was last written."""

    def delete_listed(self, name: str) -> None:
        """Remove a name ``listing`` gave: a blob or an unfinished write."""


def make_blob_store(settings: Settings) -> BlobStore:
    from healthcode.store.blobs import FilesystemBlobs, S3Blobs

    if settings.blob_store == "s3":
        return S3Blobs(
            bucket=settings.s3_bucket,
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url or None,
            region=settings.s3_region,
            access_key=settings.s3_access_key or None,
            secret_key=settings.s3_secret_key or None,
        )
    return FilesystemBlobs(settings.blob_dir)
