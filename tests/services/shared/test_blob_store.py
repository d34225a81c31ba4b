"""Both blob stores behave alike: the filesystem one, and the S3 one against a real
S3-compatible HTTP server on localhost (moto's server mode, from PyPI)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from healthcode.config import Settings
from healthcode.services.shared.blobs import BlobStore, make_blob_store
from healthcode.store.blobs import FilesystemBlobs, S3Blobs
from tests.factories.s3 import s3_server

DATA = bytes(range(256)) * 1000  # 256 kB, more than one chunk


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with s3_server() as endpoint:
        yield endpoint


def s3_settings(endpoint: str, bucket: str) -> Settings:
    return Settings(
        secret_key="test",
        blob_store="s3",
        s3_endpoint_url=endpoint,
        s3_bucket=bucket,
        s3_access_key="testing",
        s3_secret_key="testing",
    )


@pytest.fixture(params=["filesystem", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "filesystem":
        return make_blob_store(Settings(secret_key="test", blob_dir=str(tmp_path / "blobs")))
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = f"videos-{tmp_path.name.lower().replace('_', '-')[-40:]}"
    made = make_blob_store(s3_settings(endpoint, bucket))
    assert isinstance(made, S3Blobs)
    made.client.create_bucket(Bucket=bucket)
    return made


def test_put_read_ranges_delete(store: BlobStore) -> None:
    key = store.put(io.BytesIO(DATA))
    assert store.size(key) == len(DATA)
    assert b"".join(store.read(key, 0, len(DATA) - 1)) == DATA
    assert b"".join(store.read(key, 70_000, 70_099)) == DATA[70_000:70_100]
    assert [name for name, _ in store.listing()] == [key]
    store.delete(key)
    store.delete(key)  # already gone: no error
    assert store.size(key) is None
    assert list(store.listing()) == []


def test_keys_are_random_and_never_paths(store: BlobStore) -> None:
    first, second = store.put(io.BytesIO(b"a")), store.put(io.BytesIO(b"b"))
    assert first != second
    with pytest.raises(ValueError, match="not a blob key"):
        store.size("../../etc/passwd")


def test_the_filesystem_store_writes_owner_only_files(tmp_path: Path) -> None:
    store = FilesystemBlobs(tmp_path / "blobs")
    key = store.put(io.BytesIO(DATA))
    assert os.stat(tmp_path / "blobs" / key).st_mode & 0o777 == 0o600
    assert os.stat(tmp_path / "blobs").st_mode & 0o777 == 0o700
    assert not list((tmp_path / "blobs").glob("*.part"))  # the temporary file was renamed


def test_a_failed_write_leaves_no_file(tmp_path: Path) -> None:
    class Broken(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise OSError("disk unplugged")

    store = FilesystemBlobs(tmp_path / "blobs")
    with pytest.raises(OSError, match="unplugged"):
        store.put(Broken(b"x"))
    assert list(store.listing()) == []
