"""Pure ASGI middleware: request language, body limits, JSON-only API writes, headers.

Written against raw ASGI rather than BaseHTTPMiddleware, which costs a task per
request on the hot path of code fetches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from healthcode.domain.errors import DomainError
from healthcode.domain.i18n import N_
from healthcode.http.asgi import refuse
from healthcode.http.errors import PageRenderer, error_body
from healthcode.i18n import negotiate, set_language, translate

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(self), microphone=(self), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self' "
        b"'wasm-unsafe-eval'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
        b"frame-ancestors 'none'; base-uri 'none'; "
        b"form-action 'self'; object-src 'none'",
    ),
)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def request_language(scope: Scope) -> str:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[0]
    cookie = cookie_parser(header(scope, b"cookie") or "").get("lang")  # as Starlette reads it
    return negotiate(query, cookie, header(scope, b"accept-language"))


async def send_error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps(error_body(code, translate(message)), ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


@dataclass(frozen=True)
class Upload:
    """A path that takes a file, the body it allows, and the file's own limit that a
    refusal names (None: not a file, the body's limit is named)."""

    path: str
    limit: int
    file_limit: int | None = None


class EdgeMiddleware:
    """Sets the request language, enforces body limits and JSON for API writes,
    and adds the security headers to every response. ``uploads`` names the paths that
    take a file (multipart, also on the API) and the larger limit each allows. A body
    past its limit is refused saying the limit: a page for a browser (``page``), JSON
    for the API."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int,
        uploads: Sequence[Upload] = (),
        page: PageRenderer | None = None,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.uploads = tuple((re.compile(u.path), u) for u in uploads)
        self.page = page

    def _upload(self, scope: Scope) -> Upload | None:
        for path, upload in self.uploads:
            if scope["method"] in WRITE_METHODS and path.fullmatch(scope["path"]):
                return upload
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        set_language(request_language(scope))
        upload = self._upload(scope)  # once a request: every check below reads it
        if self._too_large(scope, upload):
            too_large = self._body_too_large(upload)
            await refuse(scope, self._with_headers(send, scope), too_large, self.page)
            return
        refusal = self._refusal(scope, upload)
        if refusal is not None:
            await send_error(send, *refusal)
            return
        limited = self._limited(receive, upload)
        await self.app(scope, limited, self._with_headers(send, scope))

    def _limit(self, upload: Upload | None) -> int:
        return upload.limit if upload is not None else self.max_body

    def _too_large(self, scope: Scope, upload: Upload | None) -> bool:
        length = header(scope, b"content-length")
        if length is None:
            return False
        plain = length.isascii() and length.isdigit() and len(length) < 19
        return not plain or int(length) > self._limit(upload)

    def _body_too_large(self, upload: Upload | None) -> BodyTooLarge:
        """The refusal of a body past this path's limit, naming the limit: a file's own
        limit where the path takes one, else the body's."""
        if upload is not None and upload.file_limit is not None:
            return BodyTooLarge(
                N_("The file is too large: at most {size}"), size=size_in_words(upload.file_limit)
            )
        return BodyTooLarge(
            N_("Too much was sent at once: at most {size}"), size=size_in_words(self._limit(upload))
        )

    def _refusal(self, scope: Scope, upload: Upload | None) -> tuple[int, str, str] | None:
        length = header(scope, b"content-length")
        is_api_write = scope["path"].startswith("/api/") and scope["method"] in WRITE_METHODS
        if is_api_write and (length is None or int(length) > 0):
            kind = (header(scope, b"content-type") or "").split(";")[0].strip().lower()
            # a path that takes a file says so: "send JSON" sent clients the wrong way;
            # one that only takes a larger JSON body (an offline scanner's batch) asks
            # for JSON, as every other write does (it asked for a form with a file); JSON
            # to a path that takes a file was answered with its fields missing (until
            # stop 43, an outside probe)
            takes_file = upload is not None and upload.file_limit is not None
            if kind != ("multipart/form-data" if takes_file else "application/json"):
                return (
                    415,
                    "unsupported_media_type",
                    N_("Send the request as a form with its file (multipart/form-data)")
                    if takes_file
                    else N_("Send the request body as JSON (Content-Type: application/json)"),
                )
        return None

    def _limited(self, receive: Receive, upload: Upload | None) -> Receive:
        limit, seen = self._limit(upload), 0

        async def wrapped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise self._body_too_large(upload)
            return message

        return wrapped

    def _with_headers(self, send: Send, scope: Scope) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", ()))
                present = {k.lower() for k, _ in headers}
                headers.extend(h for h in _security(scope) if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        return wrapped


class BodyTooLarge(DomainError):
    """A body past its path's limit: its Content-Length said so, or a chunked body grew
    past it after the headers said nothing of its size."""

    status = 413
    code = "body_too_large"


def size_in_words(size: int) -> str:
    """A limit as people read it, in binary units: 64 KB, 5 MB, 2 GB, 1.5 MB."""
    for unit, step in (("GB", 1024**3), ("MB", 1024**2)):
        if size >= step:
            return f"{size / step:.3g} {unit}" if size % step else f"{size // step} {unit}"
    return f"{size // 1024} KB" if size >= 1024 else f"{size} B"


def _security(scope: Scope) -> Iterable[tuple[bytes, bytes]]:
    yield from SECURITY_HEADERS
    if scope.get("scheme") == "https":
        yield (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
