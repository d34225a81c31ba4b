"""Load shedding: a worker past its capacity says so at once (docs/surge.md).

Under a surge, requests that queue up inside a worker (for the thread pool, for a
database connection) wait until the client times out, and every one of them is
still worked on after its client has gone: that is how a code system goes down
for hours. Here a worker computes at most ``max_in_flight`` requests at once; a
request beyond that waits up to ``queue_wait_seconds`` for a place, among at most
``max_queue`` others, and is otherwise answered 503 ``service_busy`` with
``Retry-After`` right away, before any work. A request holds its place until its
answer starts (a held-open event stream, such as the colour watch, then runs on
without it). The health check is never refused, so a load balancer does not take
a busy worker for a dead one.
"""

from __future__ import annotations

import asyncio
from collections import deque
from contextlib import suppress
from typing import ClassVar

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from healthcode.domain.errors import DomainError
from healthcode.domain.i18n import N_
from healthcode.http.asgi import refuse
from healthcode.http.errors import PageRenderer

log = structlog.get_logger()
EXEMPT = frozenset({"/api/v1/health"})


class ServiceBusy(DomainError):
    status: ClassVar[int] = 503
    code: ClassVar[str] = "service_busy"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            N_("The service is busy; please try again in {retry_after} s"),
            retry_after=retry_after,
        )
        self.retry_after = retry_after


class Admission:
    """At most ``limit`` holders at once; a FIFO queue of at most ``queue`` waiters."""

    def __init__(self, limit: int, queue: int) -> None:
        self.limit = limit
        self.queue = queue
        self.running = 0
        self.waiting: deque[asyncio.Future[None]] = deque()

    async def enter(self, wait: float) -> bool:
        """Take a place, waiting at most ``wait`` seconds; False if refused."""
        if self.running < self.limit and not self.waiting:
            self.running += 1
            return True
        if len(self.waiting) >= self.queue or wait <= 0:
            return False
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append(turn)
        try:
            await asyncio.wait_for(turn, wait)
        except TimeoutError:
            return self._give_up(turn)
        except asyncio.CancelledError:
            self._give_up(turn)
            raise
        return True  # leave() handed its place over: running is unchanged

    def _give_up(self, turn: asyncio.Future[None]) -> bool:
        if turn.done() and not turn.cancelled():
            self.leave()  # the place came just as the wait ended: hand it on
        else:
            turn.cancel()
            with suppress(ValueError):
                self.waiting.remove(turn)
        return False

    def leave(self) -> None:
        while self.waiting:
            turn = self.waiting.popleft()
            if not turn.done():
                turn.set_result(None)  # the place passes straight to the next in line
                return
        self.running -= 1


class SheddingMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_in_flight: int,
        max_queue: int,
        wait_seconds: float,
        retry_after: int,
        page: PageRenderer | None,
    ) -> None:
        self.app = app
        self.admission = Admission(max_in_flight, max_queue)
        self.wait_seconds = wait_seconds
        self.retry_after = retry_after
        self.page = page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        if not await self.admission.enter(self.wait_seconds):
            await self._refuse(scope, send)
            return
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                self.admission.leave()

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                release()
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            release()

    async def _refuse(self, scope: Scope, send: Send) -> None:
        log.info("request.refused.busy", path=scope["path"])
        await refuse(scope, send, ServiceBusy(self.retry_after), self.page)
