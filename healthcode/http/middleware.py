"""Pure ASGI middleware: request language, body limits, JSON-only API writes, headers.

Written against raw ASGI rather than BaseHTTPMiddleware, which costs a task per
request on the hot path of code fetches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from healthcode.domain.errors import DomainError
from healthcode.domain.i18n import N_
from healthcode.http.errors import error_body
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


class EdgeMiddleware:
    """Sets the request language, enforces body limits and JSON for API writes,
    and adds the security headers to every response. ``uploads`` names the paths that
    take a file (multipart, also on the API) and the larger limit each allows."""

    def __init__(
        self, app: ASGIApp, *, max_body: int, uploads: Sequence[tuple[str, int]] = ()
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.uploads = tuple((re.compile(path), limit) for path, limit in uploads)

    def _upload_limit(self, scope: Scope) -> int | None:
        for path, limit in self.uploads:
            if scope["method"] in WRITE_METHODS and path.fullmatch(scope["path"]):
                return limit
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        set_language(request_language(scope))
        refusal = self._refusal(scope)
        if refusal is not None:
            await send_error(send, *refusal)
            return
        upload = self._upload_limit(scope)
        limited = self._limited(receive, send, upload or self.max_body)
        await self.app(scope, limited, self._with_headers(send, scope))

    def _refusal(self, scope: Scope) -> tuple[int, str, str] | None:
        length = header(scope, b"content-length")
        upload = self._upload_limit(scope)
        plain = length is not None and length.isascii() and length.isdigit() and len(length) < 19
        if length is not None and (not plain or int(length) > (upload or self.max_body)):
            return 413, "body_too_large", N_("The request is too large")
        is_api_write = scope["path"].startswith("/api/") and scope["method"] in WRITE_METHODS
        if is_api_write and (length is None or int(length) > 0):
            kind = (header(scope, b"content-type") or "").split(";")[0].strip().lower()
            if kind != "application/json" and not (upload and kind == "multipart/form-data"):
                # a path that takes a file says so: "send JSON" sent clients the wrong way
                return (
                    415,
                    "unsupported_media_type",
                    N_("Send the request as a form with its file (multipart/form-data)")
                    if upload
                    else N_("Send the request body as JSON (Content-Type: application/json)"),
                )
        return None

    def _limited(self, receive: Receive, send: Send, limit: int) -> Receive:
        seen = 0

        async def wrapped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(N_("The request is too large"))
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
    """A chunked body grew past the limit after the headers said nothing of its size."""

    status = 413
    code = "body_too_large"


def _security(scope: Scope) -> Iterable[tuple[bytes, bytes]]:
    yield from SECURITY_HEADERS
    if scope.get("scheme") == "https":
        yield (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
