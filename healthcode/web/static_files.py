"""Static files served by us, never a CDN, with content-hashed URLs.

``static_url("app.css")`` gives ``/static/app.css?v=<hash of the content>``; a
request carrying the current hash is cached for a year as immutable, so a phone
fetches each version once. Anything else (an old or missing hash) is cached
briefly, so a page cached before a release never pins stale content for a year.

Text files go out gzipped, compressed once per process at the highest level (not
per request, as a middleware would, which cost ~50 ms a time for the 1.7 MB Swagger
bundle), with their own ETag so a cache never mixes the two encodings.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
PREFIX = "/static"
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"
COMPRESSIBLE = frozenset({".css", ".js", ".svg", ".json", ".txt"})
OWN_ASSETS = ("app.css", "app.js", "icon.svg")


@cache
def content_hash(path: str) -> str:
    """The first 12 hex digits of the file's SHA-256 (files never change at run time)."""
    return hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:12]


@cache
def gzipped(path: str) -> bytes:
    """The file gzipped at level 9; mtime=0 so the bytes (and the ETag) are stable."""
    return gzip.compress((STATIC / path).read_bytes(), compresslevel=9, mtime=0)


def _accepts_gzip(headers: Headers) -> bool:
    offered = (part.split(";")[0].strip() for part in headers.get("accept-encoding", "").split(","))
    return "gzip" in offered and "range" not in headers


def static_url(path: str) -> str:
    return f"{PREFIX}/{path}?v={content_hash(path)}"


class VersionedStatic(StaticFiles):
    """StaticFiles with the cache policy above."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        relative = Path(full_path).resolve().relative_to(STATIC.resolve()).as_posix()
        headers = Headers(scope=scope)
        response.headers.add_vary_header("Accept-Encoding")
        text = response.status_code == 200 and Path(relative).suffix in COMPRESSIBLE
        if text and _accepts_gzip(headers):
            response = self._gzip_response(response, relative, headers)
        wanted = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [""])[0]
        current = wanted and wanted == content_hash(relative)
        response.headers["cache-control"] = IMMUTABLE if current else SHORT
        return response

    def _gzip_response(self, plain: Response, relative: str, request: Headers) -> Response:
        headers = {k: v for k, v in plain.headers.items() if k != "content-length"}
        headers["etag"] = plain.headers["etag"].removesuffix('"') + '-gzip"'
        headers["content-encoding"] = "gzip"
        response = Response(gzipped(relative), headers=headers)
        if self.is_not_modified(response.headers, request):
            return NotModifiedResponse(response.headers)
        return response


def static_app() -> VersionedStatic:
    """The static files, our own already compressed (vendor files on first request)."""
    for path in OWN_ASSETS:
        gzipped(path)
    return VersionedStatic(directory=STATIC)
