"""CSRF protection for the pages: a double-submit token of our own.

A random token lives in the ``hc_csrf`` cookie (HttpOnly, SameSite=Lax) and is
echoed by every form as a hidden ``csrf_token`` field, or by scripts as an
``X-CSRF-Token`` header (the page's ``<meta name="csrf-token">``). A state-changing
request outside ``/api/`` whose echo does not match the cookie (constant-time
compare) gets a 403 page and never reaches a handler. Another site can make a
browser send our cookie but cannot read it, so it cannot echo it. The JSON API is
exempt: it takes JSON bodies only, which a cross-site form cannot send.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from healthcode.domain.errors import DomainError
from healthcode.domain.i18n import N_
from healthcode.i18n import translate

COOKIE = "hc_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
EXEMPT = ("/api/", "/static/")
TOKEN_BYTES = 32
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
EXPIRED = N_(
    "This page has expired or was opened from another site, so nothing was sent. "
    "Go back, reload the page and try again"
)

# (request, status, error code, translated message) -> the error page
Refusal = Callable[[Request, int, str, str], Response]


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _cookie_token(scope: Scope) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header counts as no token
                return None
            token = jar[COOKIE].value if COOKIE in jar else ""
            return token if 20 <= len(token) <= 100 else None
    return None


class CsrfMiddleware:
    """Checks every unsafe page request; hands the token to templates in
    ``request.state.csrf_token`` and sets the cookie on HTML responses that lack it."""

    def __init__(self, app: ASGIApp, *, refuse: Refusal) -> None:
        self.app = app
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT):
            await self.app(scope, receive, send)
            return
        known = _cookie_token(scope)
        token = known or new_token()
        scope.setdefault("state", {})["csrf_token"] = token
        if scope["method"] not in SAFE_METHODS:
            try:
                receive, echoed = await _echoed(scope, receive)
            except DomainError as error:  # the body was too large
                message = translate(error.message, error.params)
                await self._refuse(scope, send, error.status, error.code, message)
                return
            if not (known and echoed and hmac.compare_digest(known, echoed)):
                await self._refuse(scope, send, 403, "csrf_failed", translate(EXPIRED))
                return
        await self.app(scope, receive, _setting_cookie(send, scope, token) if not known else send)

    async def _refuse(self, scope: Scope, send: Send, status: int, code: str, message: str) -> None:
        response = self.refuse(Request(scope), status, code, message)
        await response(scope, _empty, send)


async def _echoed(scope: Scope, receive: Receive) -> tuple[Receive, str]:
    """The token the request echoes (header, else form field), and a receive that
    replays the body we had to read to find it."""
    request = Request(scope, receive)
    header = request.headers.get(HEADER, "")
    if header:
        return receive, header
    if not request.headers.get("content-type", "").startswith(FORM_TYPES):
        return receive, ""
    body = await request.body()
    replay = _replay(body)
    form = await Request(scope, _replay(body)).form()
    value = form.get(FIELD)
    return replay, value if isinstance(value, str) else ""


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _empty() -> Message:
    return {"type": "http.disconnect"}


def _setting_cookie(send: Send, scope: Scope, token: str) -> Send:
    secure = "; Secure" if scope.get("scheme") == "https" else ""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            if headers.get("content-type", "").startswith("text/html"):
                headers.append(
                    "set-cookie", f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}"
                )
        await send(message)

    return wrapped
