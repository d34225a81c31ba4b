"""Static files served by us, never a CDN, with content-hashed URLs.

``static_url("app.css")`` gives ``/static/app.css?v=<hash of the content>``; a
request carrying the current hash is cached for a year as immutable, so a phone
fetches each version once. Anything else (an old or missing hash) is cached
briefly, so a page cached before a release never pins stale content for a year.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
PREFIX = "/static"
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"


@cache
def content_hash(path: str) -> str:
    """The first 12 hex digits of the file's SHA-256 (files never change at run time)."""
    return hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:12]


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
        wanted = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [""])[0]
        relative = Path(full_path).resolve().relative_to(STATIC.resolve()).as_posix()
        current = wanted and wanted == content_hash(relative)
        response.headers["cache-control"] = IMMUTABLE if current else SHORT
        return response


def static_app() -> VersionedStatic:
    return VersionedStatic(directory=STATIC)
