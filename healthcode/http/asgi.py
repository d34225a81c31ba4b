"""ASGI plumbing the edge middlewares share: a body read once and handed on, the session."""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from healthcode.domain.errors import DomainError
from healthcode.http.errors import PageRenderer, domain_error_response, in_words, page_or_json

_COOKIE = "hc_session"  # security.SESSION_COOKIE (which imports the middlewares, via deps)


def replay(body: bytes) -> Receive:
    """A ``receive`` that yields ``body`` once: a middleware that has read the body to
    check it passes the same bytes on to the app."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def no_body() -> Message:
    """A ``receive`` for an answer given without reading the request."""
    return {"type": "http.disconnect"}


def session_hash(scope: Scope) -> bytes | None:
    """The caller's session (a hash of its bearer token or session cookie), read from
    the headers alone: no database, so the edge can key a retry or a budget on it.
    With Starlette's lenient cookie parser, as authentication reads it: the standard
    library's gave up on a header such as ``a="b; hc_session=…``, which then counted
    as no session here while authentication still found the session, and one
    resident's requests escaped the session's in-flight cap and budget."""
    request = Request(scope)
    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    if not token:  # the cookie as authentication reads it (``security.SessionToken``)
        token = request.cookies.get(_COOKIE, "")
    return hashlib.sha256(token.encode()).digest() if token else None


async def refuse(scope: Scope, send: Send, error: DomainError, page: PageRenderer | None) -> None:
    """Answer ``error`` from a middleware, before the app: JSON, or a page for a browser."""
    json = domain_error_response(error)
    answer = page_or_json(Request(scope), page, json, error.code, in_words(error))
    await answer(scope, no_body, send)
