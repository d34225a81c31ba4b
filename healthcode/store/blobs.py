"""The blob store's implementations (the interface: ``services/shared/blobs.py``).

``FilesystemBlobs`` writes each blob atomically: into a temporary file in the same
directory, fsync, rename to its random key, fsync the directory; a reader never
sees half a file, and a crash leaves at most a ``.part`` file that the sweeper
removes. ``S3Blobs`` talks to any S3-compatible server (boto3; endpoint, bucket
and credentials from the settings); an S3 PUT is atomic by itself.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from healthcode.files import FILE_MODE, private_dir

CHUNK = 64 * 1024
_KEY = re.compile(r"^[0-9a-f]{32}$")
PART = ".part"


def new_key() -> str:
    return secrets.token_hex(16)


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValueError("not a blob key")
    return key


class FilesystemBlobs:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    def put(self, source: BinaryIO) -> str:
        private_dir(self.root)
        key = new_key()
        part = self.root / f"{key}{PART}"
        source.seek(0)
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := source.read(CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(part, self._path(key))
        except BaseException:
            with contextlib.suppress(OSError):
                part.unlink()
            raise
        directory = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a power cut
        finally:
            os.close(directory)
        return key

    def size(self, key: str) -> int | None:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None

    def read(self, key: str, start: int, end: int) -> Iterator[bytes]:
        with self._path(key).open("rb") as file:
            file.seek(start)
            left = end - start + 1
            while left > 0 and (chunk := file.read(min(CHUNK, left))):
                left -= len(chunk)
                yield chunk

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def listing(self) -> Iterator[tuple[str, datetime]]:
        if not self.root.is_dir():
            return
        for entry in os.scandir(self.root):
            name = entry.name.removesuffix(PART)
            if entry.is_file() and _KEY.fullmatch(name):
                yield entry.name, datetime.fromtimestamp(entry.stat().st_mtime, UTC)

    def delete_listed(self, name: str) -> None:
        """Remove a name ``listing`` gave (a blob, or an unfinished ``.part`` write)."""
        _checked(name.removesuffix(PART))
        with contextlib.suppress(FileNotFoundError):
            (self.root / name).unlink()


class S3Blobs:
    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key: str | None = None,
        secret_key: str | None = None,
    ) -> None:
        import boto3  # optional: only deployments that choose S3 install it

        if not bucket:
            raise ValueError("HEALTHCODE_S3_BUCKET is required with HEALTHCODE_BLOB_STORE=s3")
        self.bucket = bucket
        self.prefix = prefix
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
        )

    def put(self, source: BinaryIO) -> str:
        key = new_key()
        source.seek(0)
        self.client.upload_fileobj(source, self.bucket, self.prefix + key)
        return key

    def size(self, key: str) -> int | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.prefix + _checked(key))
        except self.client.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return int(head["ContentLength"])

    def read(self, key: str, start: int, end: int) -> Iterator[bytes]:
        answer = self.client.get_object(
            Bucket=self.bucket, Key=self.prefix + _checked(key), Range=f"bytes={start}-{end}"
        )
        yield from answer["Body"].iter_chunks(CHUNK)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + _checked(key))

    def listing(self) -> Iterator[tuple[str, datetime]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for item in page.get("Contents", ()):
                name = item["Key"][len(self.prefix) :]
                if _KEY.fullmatch(name):
                    yield name, item["LastModified"]

    def delete_listed(self, name: str) -> None:
        self.delete(name)
