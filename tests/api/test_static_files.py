"""Static CSS and JS: gzipped once, cached for a year under a hashed URL (issue 9.12)."""

from __future__ import annotations

import gzip

import pytest
from starlette.testclient import TestClient

from healthcode.web.static_files import IMMUTABLE, SHORT, STATIC, gzipped, static_app, static_url

GZIP = {"accept-encoding": "gzip, deflate, br, zstd"}  # what Chromium sends


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(static_app())


def url(path: str) -> str:
    return static_url(path).removeprefix("/static")


@pytest.mark.parametrize("path", ["app.css", "app.js", "icon.svg"])
def test_own_assets_go_out_gzipped_and_immutable(client: TestClient, path: str) -> None:
    answer = client.get(url(path), headers=GZIP)
    assert answer.status_code == 200
    assert answer.headers["content-encoding"] == "gzip"
    assert answer.headers["cache-control"] == IMMUTABLE
    assert "accept-encoding" in answer.headers["vary"].lower()
    original = (STATIC / path).read_bytes()
    assert answer.content == original  # httpx un-gzips it
    assert int(answer.headers["content-length"]) == len(gzipped(path))
    if len(original) > 2000:
        assert len(gzipped(path)) < len(original) / 2
    assert gzip.decompress(gzipped(path)) == original


def test_without_gzip_the_plain_file_has_another_etag(client: TestClient) -> None:
    zipped = client.get(url("app.css"), headers=GZIP)
    plain = client.get(url("app.css"), headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == (STATIC / "app.css").read_bytes()
    assert plain.headers["cache-control"] == IMMUTABLE
    assert plain.headers["etag"] != zipped.headers["etag"]
    assert "accept-encoding" in plain.headers["vary"].lower()


def test_a_revalidation_of_the_gzipped_file_is_a_304(client: TestClient) -> None:
    etag = client.get(url("app.js"), headers=GZIP).headers["etag"]
    again = client.get(url("app.js"), headers=GZIP | {"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""


def test_a_stale_hash_is_cached_briefly_but_still_compressed(client: TestClient) -> None:
    answer = client.get("/app.css?v=0ld", headers=GZIP)
    assert answer.headers["cache-control"] == SHORT
    assert answer.headers["content-encoding"] == "gzip"


def test_the_vendor_bundle_is_compressed_once(client: TestClient) -> None:
    path = "vendor/swagger-ui/swagger-ui-bundle.js"
    gzipped.cache_clear()
    for _ in range(3):
        answer = client.get(url(path), headers=GZIP)
        assert answer.headers["content-encoding"] == "gzip"
    assert gzipped.cache_info().misses == 1
