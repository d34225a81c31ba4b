"""Fair share: one client cannot slow the others (docs/surge.md).

Every costly request has a kind (``COSTLY``: code pages and images, writes, scans,
look-ups, imports, PDFs, temperature videos; any write not listed is a ``write``). Before it runs:

* its session (or a department system's key) may have at most ``session_in_flight``
  costly requests running in this worker — a phone firing 16 QR requests at once has
  the excess refused at once instead of queued ahead of everybody else; colour
  watches, held open for up to an hour, are counted apart (``session_watches``), so
  an open one takes no place from the code page;
* it counts against its session's budget for that kind and its address's
  (``session_limits``, ``address_limits``; shared by the workers through Redis).

A refusal is a 429 ``rate_limited`` with ``Retry-After``, before any database work.
Requests of no costly kind (static files, the health check, cheap reads) pass.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from healthcode.domain.i18n import N_
from healthcode.http.asgi import caller_hash, refuse
from healthcode.http.errors import PageRenderer
from healthcode.services.shared.ratelimit import Budgets, TooManyRequests

log = structlog.get_logger()
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_ID = "[^/]+"

# (kind, methods, path): the first match decides; a write matching none is a "write".
COSTLY: tuple[tuple[str, frozenset[str], str], ...] = (
    ("code", frozenset({"GET"}), rf"/api/v1/codes/{_ID}(/token|/attestation|/qr\.[a-z]+)?"),
    ("watch", frozenset({"GET"}), rf"/api/v1/codes/{_ID}/watch"),
    ("code", frozenset({"GET"}), rf"/api/v1/dependants/{_ID}/codes/{_ID}(/token)?"),
    ("code", frozenset({"GET"}), rf"(/family/{_ID})?/codes/{_ID}(/live)?"),
    ("scan", WRITES, rf"/api/v1/venues/{_ID}/scans(/batch)?|/api/v1/verify"),
    ("scan", WRITES, rf"/api/v1/scans/{_ID}/(release|not-the-holder)"),
    ("scan", WRITES, rf"/staff/scanner/scans|/staff/venues/{_ID}/scan|/v/{_ID}"),
    ("scan", WRITES, rf"/staff/scans/{_ID}/(release|not-the-holder)"),
    ("scan", WRITES, rf"(/api/v1|/staff)/employers/{_ID}/checkins"),
    ("import", WRITES, rf"/api/v1/records/imports(/{_ID}/rollback)?"),
    ("import", WRITES, rf"/staff/records/imports(/{_ID}/rollback)?"),
    ("import", WRITES, rf"/api/v1/employers/{_ID}/roster/imports|/staff/employers/{_ID}/roster"),
    ("pdf", WRITES, rf"/api/v1/applications/{_ID}/paper-passes|/staff/applications/{_ID}/paper"),
    ("lookup", WRITES, r"/api/v1/records/tracing/find|/api/v1/sharing/colour-lookups"),
    ("lookup", WRITES, rf"/staff/records/tracing(/{_ID})?"),
    ("lookup", frozenset({"GET"}), rf"/api/v1/records/tracing/{_ID}|/api/v1/scans/{_ID}/details"),
    ("lookup", frozenset({"GET"}), rf"/staff/records/tracing(/{_ID})?"),
    ("lookup", frozenset({"GET"}), rf"(/api/v1|/staff)/employers/{_ID}/board(\.csv)?"),
    ("lookup", frozenset({"GET"}), rf"(/api/v1|/staff)/records/(imports|sent)/{_ID}/refused\.csv"),
    # a resident's record opened by an officer (each view audit-logged) and the issuer's
    # queue (counted over the whole scope): one session used to open 200 a second
    ("lookup", frozenset({"GET"}), rf"(/api/v1|/staff)/applications/{_ID}|/api/v1/applications"),
    ("lookup", frozenset({"GET"}), r"/staff/queue"),
    ("lookup", frozenset({"GET"}), rf"/api/v1/staff/(appeals|fraud-cases)/{_ID}"),
    ("lookup", frozenset({"GET"}), rf"/staff/appeals/{_ID}(/evidence)?|/staff/fraud/{_ID}"),
    # a temperature video streamed to its issuer (each read audit-logged, a blob read) or
    # to its resident: a kind of its own, as one playback is many Range requests, which
    # the look-ups' budget would refuse; one issuer session used to fetch it unlimited
    ("video", frozenset({"GET"}), rf"/api/v1/(applications|declarations)/{_ID}/video"),
)
_BY_METHOD = {
    method: [(kind, re.compile(path)) for kind, methods, path in COSTLY if method in methods]
    for method in ("GET", *WRITES)
}


def kind_of(method: str, path: str) -> str | None:
    """The request's costly kind, or None for a cheap one."""
    for kind, pattern in _BY_METHOD.get(method, ()):
        if pattern.fullmatch(path):
            return kind
    return "write" if method in WRITES else None


class FairShareMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        budgets: Budgets,
        session_limits: Mapping[str, str],
        address_limits: Mapping[str, str],
        in_flight: int,
        watches: int,
        page: PageRenderer,
    ) -> None:
        self.app = app
        self.budgets = budgets
        self.session_limits = session_limits
        self.address_limits = address_limits
        self.in_flight = in_flight
        self.watches = watches
        self.page = page
        self.running: Counter[bytes] = Counter()  # this worker's costly requests by session
        self.watching: Counter[bytes] = Counter()  # and its colour watches

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = kind_of(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if kind is None or not self.budgets.enabled:
            await self.app(scope, receive, send)
            return
        session = caller_hash(scope)  # a session, or a department system's key
        running, most = (
            (self.watching, self.watches) if kind == "watch" else (self.running, self.in_flight)
        )
        if session is not None:
            if running[session] >= most:
                await self._refuse(scope, send, kind, "in_flight", 1)
                return
            # Taken before the budget is asked: asking Redis waits on the network, and
            # the rest of a burst ran meanwhile, each finding the places still free.
            running[session] += 1
        try:
            wait = await self._budget(scope, kind, session)
            if wait is not None:
                await self._refuse(scope, send, kind, "budget", wait)
                return
            await self.app(scope, receive, send)
        finally:
            if session is not None:
                running[session] -= 1
                if not running[session]:
                    del running[session]

    async def _budget(self, scope: Scope, kind: str, session: bytes | None) -> int | None:
        """None within both budgets, else the seconds until the exhausted one allows."""
        if session is not None and kind in self.session_limits:
            wait = await self.budgets.hit(self.session_limits[kind], kind, session.hex()[:32])
            if wait is not None:
                return wait
        client = scope.get("client")
        address = client[0] if client else "unknown"
        if kind in self.address_limits:
            return await self.budgets.hit(self.address_limits[kind], kind, "ip", address)
        return None

    async def _refuse(self, scope: Scope, send: Send, kind: str, why: str, wait: int) -> None:
        log.info("request.refused.fair_share", kind=kind, reason=why, path=scope["path"])
        error = TooManyRequests(
            N_("Too many requests; try again in {retry_after} s"), retry_after=wait
        )
        await refuse(scope, send, error, self.page)
