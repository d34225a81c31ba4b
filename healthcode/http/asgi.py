"""ASGI plumbing the edge middlewares share: a body read once and handed on, the session."""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from healthcode.domain.errors import DomainError
from healthcode.http.errors import PageRenderer, domain_error_response, in_words, page_or_json

SESSION_COOKIE = "hc_session"  # the web pages' session (``security`` names it to them)


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


def sent_token(request: Request) -> tuple[str, bool]:
    """The session token a request carries ("" for none), and whether it came in the
    cookie: the bearer token if one was sent, else the session cookie. The edge's
    budgets and authentication (``security.SessionToken``) both read it here: when
    they parsed the headers apart, a cookie header one parser gave up on
    (``a="b; hc_session=…``) was no session at the edge and a session behind it, and
    one resident's requests escaped the session's in-flight cap and budget."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and (bearer := credentials.strip()):
        return bearer, False
    return request.cookies.get(SESSION_COOKIE, ""), True


def session_hash(scope: Scope) -> bytes | None:
    """The caller's session (a hash of its bearer token or session cookie), read from
    the headers alone: no database, so the edge can key a retry or a budget on it."""
    token, _ = sent_token(Request(scope))
    return hashlib.sha256(token.encode()).digest() if token else None


def caller_hash(scope: Scope) -> bytes | None:
    """Whom a budget is kept for: the session, else a department system's key
    (``X-Api-Key``; hashed apart from sessions). Without the key a system was only its
    address, so one system's burst spent the budget of every other behind its gateway."""
    session = session_hash(scope)
    if session is not None:
        return session
    key = Request(scope).headers.get("x-api-key", "")
    return hashlib.sha256(b"client-key:" + key.encode()).digest() if key else None


async def refuse(scope: Scope, send: Send, error: DomainError, page: PageRenderer | None) -> None:
    """Answer ``error`` from a middleware, before the app: JSON, or a page for a browser."""
    json = domain_error_response(error)
    answer = page_or_json(Request(scope), page, json, error.code, in_words(error))
    await answer(scope, no_body, send)
