"""CSRF protection for the pages: a token bound to the session.

The token a form echoes (hidden ``csrf_token`` field, or ``X-CSRF-Token`` header for
scripts, from the page's ``<meta name="csrf-token">``) is an HMAC, under a key
derived from the master secret, of the ``hc_session`` cookie; before sign-in, of a
random ``hc_csrf`` cookie (HttpOnly, SameSite=Lax). A state-changing request outside
``/api/`` whose echo does not match (constant-time compare) gets a 403 page and
never reaches a handler. Another site can make a browser send our cookies but can
neither read them nor compute the HMAC; one who can plant a cookie (a sibling
subdomain) still cannot forge the token of someone else's session. Signing in gives
a new session and so a new token: the token of the sign-in page stops working.
The JSON API is exempt here: it takes cookies for reads only (http/security.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from healthcode.domain.errors import DomainError
from healthcode.domain.i18n import N_
from healthcode.http.asgi import no_body, replay
from healthcode.http.security import SAFE_METHODS, SESSION_COOKIE
from healthcode.i18n import translate

COOKIE = "hc_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
EXEMPT = ("/api/", "/static/")
TOKEN_BYTES = 32
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
EXPIRED = N_(
    "This page has expired or was opened from another site, so nothing was sent. "
    "Go back, reload the page and try again"
)
UNREADABLE = N_(
    "The form could not be read, so nothing was sent: a file's name may be too long, or "
    "the upload was cut off. Give the file a shorter name and send it again"
)

# (request, status, error code, translated message) -> the error page
Refusal = Callable[[Request, int, str, str], Response]


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _cookies(scope: Scope) -> tuple[str | None, str | None]:
    """The (hc_csrf, hc_session) cookie values, None where absent or malformed."""
    for key, value in scope.get("headers", ()):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header counts as no cookies
                return None, None
            return _plausible(jar, COOKIE), _plausible(jar, SESSION_COOKIE)
    return None, None


def _plausible(jar: SimpleCookie, name: str) -> str | None:
    value = jar[name].value if name in jar else ""
    return value if 20 <= len(value) <= 100 else None


def bound_token(key: bytes, *, session: str | None, anonymous: str) -> str:
    """The token pages must echo: bound to the session if there is one."""
    binding = f"session:{session}" if session else f"anonymous:{anonymous}"
    digest = hmac.new(key, binding.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class CsrfMiddleware:
    """Checks every unsafe page request; hands the token to templates in
    ``request.state.csrf_token`` and sets the cookie on HTML responses that lack it."""

    def __init__(self, app: ASGIApp, *, refuse: Refusal, key: bytes) -> None:
        self.app = app
        self.refuse = refuse
        self.key = key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT):
            await self.app(scope, receive, send)
            return
        known, session = _cookies(scope)
        anonymous = known or new_token()
        token = bound_token(self.key, session=session, anonymous=anonymous)
        scope.setdefault("state", {})["csrf_token"] = token
        if scope["method"] not in SAFE_METHODS:
            try:
                receive, echoed = await _echoed(scope, receive)
            except DomainError as error:  # the body was too large
                message = translate(error.message, error.params)
                await self._refuse(scope, send, error.status, error.code, message)
                return
            except HTTPException:  # the form parser's: a part's header past its limit
                await self._refuse(scope, send, 400, "form_unreadable", translate(UNREADABLE))
                return
            if not (
                (known or session)
                and echoed
                and hmac.compare_digest(token.encode(), echoed.encode())
            ):
                await self._refuse(scope, send, 403, "csrf_failed", translate(EXPIRED))
                return
        await self.app(scope, receive, send if known else _setting_cookie(send, anonymous))

    async def _refuse(self, scope: Scope, send: Send, status: int, code: str, message: str) -> None:
        response = self.refuse(Request(scope), status, code, message)
        await response(scope, no_body, send)


async def _echoed(scope: Scope, receive: Receive) -> tuple[Receive, str]:
    """The token the request echoes (header, else form field), and a receive that
    replays the body we had to read to find it. The form's text fields are left in
    the request's state, for a refusal that keeps them (stash.py)."""
    request = Request(scope, receive)
    header = request.headers.get(HEADER, "")
    if header:
        return receive, header
    if not request.headers.get("content-type", "").startswith(FORM_TYPES):
        return receive, ""
    body = await request.body()
    form = await Request(scope, replay(body)).form()
    texts = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    scope.setdefault("state", {})["posted_form"] = texts
    value = form.get(FIELD)
    return replay(body), value if isinstance(value, str) else ""


def _setting_cookie(send: Send, token: str) -> Send:
    """Sets the anonymous cookie on a page (Secure is added over HTTPS at the edge)."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            if headers.get("content-type", "").startswith("text/html"):
                headers.append("set-cookie", f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax")
        await send(message)

    return wrapped
