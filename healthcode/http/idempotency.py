"""Idempotency keys: a retried write is answered with its first reply, never redone.

A client that lost a reply cannot tell whether its write happened. A signed-in
caller's POST, PUT or PATCH may carry an ``Idempotency-Key`` header (pages send a
hidden ``idempotency_key`` field, new for each form shown). The key is scoped to
the session, method and path, and bound to a hash of the body.

* The first request claims the key in its own unit of work (``get_uow``), so the
  claim commits or rolls back with the write: a failed write leaves the key free.
* Its reply (under 500) is stored before it is sent; a retry gets it back with
  ``Idempotent-Replayed: true``.
* The same key with another body is refused (422 ``idempotency_key_reused``); a
  retry while the first is still running waits up to a few seconds for its reply,
  then gets 409 ``idempotency_in_progress``.
* A claim is seen only once its write has committed, and its reply is stored just
  after. A process killed in between (or a database gone away then) leaves a claim
  without a reply: a retry after ``REPLY_LOST_AFTER`` gets 409
  ``idempotency_reply_lost``, saying the request was carried out and not to send it
  again. It was told "in progress, retry in a second" for 24 hours.
* Keys expire after 24 hours.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from healthcode.domain.errors import Conflict, DomainError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.http.asgi import no_body, replay, session_hash
from healthcode.http.errors import (
    PageRenderer,
    database_failure,
    domain_error_response,
    in_words,
    page_or_json,
)
from healthcode.store.idempotency import Reply
from healthcode.store.outage import DATABASE_ERRORS, outage_reason
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory

HEADER = "idempotency-key"
FIELD = "idempotency_key"
TTL = timedelta(hours=24)
WAIT_SECONDS = 3.0  # how long a retry waits for the first request's reply before a 409
REPLY_LOST_AFTER = timedelta(seconds=60)  # a committed claim still without its reply
WRITES = frozenset({"POST", "PUT", "PATCH"})
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, as Stripe and the IETF draft
_KEPT_HEADERS = frozenset({"content-type", "location", "cache-control", "retry-after"})
_FORM = "application/x-www-form-urlencoded"
log = structlog.get_logger()


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"
    retry_after = 1


class IdempotencyReplyLost(Conflict):
    code = "idempotency_reply_lost"


class IdempotencyKeyReused(DomainError):
    status = 422
    code = "idempotency_key_reused"


def bad_key() -> InvalidInput:
    return InvalidInput.single(
        HEADER, "invalid", N_("An Idempotency-Key is 1 to 255 printable ASCII characters")
    )


@dataclass
class Claim:
    """The key a request will claim when its unit of work opens."""

    fingerprint: bytes
    body_hash: bytes
    now: datetime
    taken: bool = False
    lost: bool = False  # a concurrent request with the same key claimed it first

    def take(self, uow: UnitOfWork) -> None:
        if not uow.idempotency.claim(
            self.fingerprint, self.body_hash, now=self.now, since=self.now - TTL
        ):
            self.lost = True
            raise in_progress()
        self.taken = True


def in_progress() -> IdempotencyInProgress:
    return IdempotencyInProgress(
        N_("This request is already being handled. Wait a moment, then check before retrying")
    )


def claim_of(request: Request) -> Claim | None:
    claim: Claim | None = getattr(request.state, "idempotency", None)
    return claim


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, *, page: PageRenderer) -> None:
        self.app = app
        self.page = page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITES:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        key = request.headers.get(HEADER)
        keyless = key is None and not request.headers.get("content-type", "").startswith(_FORM)
        principal = session_hash(scope)
        if principal is None or keyless:
            await self.app(scope, receive, send)
            return
        try:
            body = await request.body()  # the edge's limit may refuse it
        except DomainError as error:
            await self._refuse(request, error, send)
            return
        key = _form_key(body) if key is None else key
        if key is None:
            await self.app(scope, replay(body), send)
            return
        try:
            seen = await self._seen(scope, principal, key, body)
        except DomainError as error:
            await self._refuse(request, error, send)
        except DATABASE_ERRORS as error:
            await database_failure(request, error, self.page)(scope, no_body, send)
        else:
            if isinstance(seen, Reply):
                await _send_reply(send, seen, replayed=True)
            else:
                await self._first(scope, seen, replay(body), send)

    async def _refuse(self, request: Request, error: DomainError, send: Send) -> None:
        json = domain_error_response(error)
        answer = page_or_json(request, self.page, json, error.code, in_words(error))
        await answer(request.scope, no_body, send)

    async def _first(self, scope: Scope, claim: Claim, receive: Receive, send: Send) -> None:
        """The first request with this key: run it, keep its reply, then send it."""
        scope.setdefault("state", {})["idempotency"] = claim
        reply = await _collect(self.app, scope, receive)
        if claim.lost:  # the winner's reply, once stored, answers this one too
            with suppress(DomainError, *DATABASE_ERRORS):
                seen = await _wait(scope, claim)
                if isinstance(seen, Reply):
                    await _send_reply(send, seen, replayed=True)
                    return
        if claim.taken and reply.status < 500:
            try:
                await run_in_threadpool(_store, _units(scope), claim, reply)
            except DATABASE_ERRORS as error:  # the write stands; a retry will get a 409
                log.warning("idempotency.reply_not_kept", reason=outage_reason(error))
        await _send_reply(send, reply, replayed=False)

    async def _seen(self, scope: Scope, principal: bytes, key: str, body: bytes) -> Claim | Reply:
        """The stored reply for a key seen before, or a claim to take with the write."""
        if not _KEY.match(key):
            raise bad_key()
        parts = (principal, scope["method"].encode(), scope["path"].encode(), key.encode())
        claim = Claim(
            hashlib.sha256(b"\0".join(parts)).digest(),
            hashlib.sha256(body).digest(),
            scope["app"].state.env.clock.now(),
        )
        return await _wait(scope, claim)


async def _wait(scope: Scope, claim: Claim) -> Claim | Reply:
    """What the key has seen; while its first request still runs, wait a little for
    its reply (a double tap gets the first tap's answer) before answering 409."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            return await run_in_threadpool(_lookup, _units(scope), claim)
        except IdempotencyInProgress:
            if time.monotonic() >= deadline:
                raise
        await asyncio.sleep(0.1)


def _lookup(units: UnitOfWorkFactory, claim: Claim) -> Claim | Reply:
    with units() as uow:
        row = uow.idempotency.find(claim.fingerprint, since=claim.now - TTL)
    if row is None:
        return claim
    if row.body_hash != claim.body_hash:
        raise IdempotencyKeyReused(
            N_("This Idempotency-Key was already used for a different request")
        )
    if row.status is None and row.created_at < claim.now - REPLY_LOST_AFTER:
        raise IdempotencyReplyLost(
            N_(
                "This request was already carried out, but its answer was lost. Do not "
                "send it again: reload the page to see the result"
            )
        )
    if row.status is None:
        raise in_progress()
    headers = [(str(k), str(v)) for k, v in row.headers or ()]
    return Reply(row.status, headers, row.body or b"")


def _store(units: UnitOfWorkFactory, claim: Claim, reply: Reply) -> None:
    """Keep the reply without its cookies: a replay must never hand out a session."""
    kept = [(k, v) for k, v in reply.headers if k.lower() in _KEPT_HEADERS]
    reply = Reply(reply.status, kept, reply.body)
    with units() as uow:
        uow.idempotency.store_reply(claim.fingerprint, reply, since=claim.now - TTL)


def _units(scope: Scope) -> UnitOfWorkFactory:
    units: UnitOfWorkFactory = scope["app"].state.uow_factory
    return units


def _form_key(body: bytes) -> str | None:
    value = parse_qs(body.decode("latin-1")).get(FIELD)
    return value[0] if value else None


async def _collect(app: ASGIApp, scope: Scope, receive: Receive) -> Reply:
    """Run the app and keep its whole reply: it is stored before it is sent."""
    status, headers, chunks = 500, [], []

    async def send(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return Reply(status, headers, b"".join(chunks))


async def _send_reply(send: Send, reply: Reply, *, replayed: bool) -> None:
    start: Message = {"type": "http.response.start", "status": reply.status, "headers": []}
    out = MutableHeaders(scope=start)
    for name, value in reply.headers:
        out.append(name, value)
    out["content-length"] = str(len(reply.body))
    if replayed:
        out["idempotent-replayed"] = "true"
    await send(start)
    await send({"type": "http.response.body", "body": reply.body})
