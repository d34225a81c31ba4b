"""A write's whole request in one thread-pool hop: the hot writes (a scan at a gate, a declaration).

FastAPI runs every plain ``def`` dependency and endpoint in the thread pool. A
write declared with ``UowDep`` and ``require(...)`` made four hops (open and claim,
the session's check, the endpoint, the commit), each a round trip through the event
loop; on SQLite the write lock was held across all of them, so the writers queued
behind it waited on the loop as well as on each other. ``Hop.run(work)`` does the
same steps in one hop, in the same order: open the unit of work, take the
idempotency claim, check the session and the permissions, run ``work``, commit (or
roll back, as ``get_uow`` does).

A route declares it as it would ``require``, ``Depends(hop(Permission.SCAN))``, and
the scope walker finds its permissions the same way (``permissions_of``); a
resident's own write declares ``Depends(resident_hop)``, as it would ``ResidentDep``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from healthcode.http.deps import client_address
from healthcode.http.idempotency import Claim, claim_of
from healthcode.http.security import TokenDep, check_permissions
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.accounts.sessions import Caller, residents_only
from healthcode.services.shared.env import Env
from healthcode.store.uow import NeedsTransaction, UnitOfWork, UnitOfWorkFactory

Result = TypeVar("Result")
Unit = UnitOfWork  # what a hop's work is given (the API's modules do not import the store)


@dataclass(frozen=True)
class Hop:
    """One request's unit of work, to be run in one thread-pool hop."""

    units: UnitOfWorkFactory
    env: Env
    token: str | None
    claim: Claim | None
    admit: Callable[[Principal], Principal]  # the caller, or Forbidden
    client: str  # the caller's address (``client_address``), one dependency fewer

    async def run(self, work: Callable[[UnitOfWork, Principal], Result]) -> Result:
        def checked(uow: UnitOfWork, caller: Caller) -> Result:
            return work(uow, caller.authenticate(uow, self.env))

        return await run_in_threadpool(self._run, checked)

    async def run_unchecked(self, work: Callable[[UnitOfWork, Caller], Result]) -> Result:
        """``run``, leaving the session's check to ``work`` (``Caller``): a hot path
        that reads the session in a query of its own (a gate's scan). ``work`` checks
        it before it reads or writes anything else. On PostgreSQL, without an
        idempotency key, ``work`` first runs in a unit of one write
        (``UnitOfWorkFactory.one_write``); if it needs more, it runs again in a
        transaction, nothing having been written."""
        return await run_in_threadpool(self._run_one_write, work)

    def _run_one_write(self, work: Callable[[UnitOfWork, Caller], Result]) -> Result:
        scope = self.units.one_write() if self.claim is None else None
        if scope is not None:
            try:
                with scope as uow:
                    return work(uow, Caller(self.token, self.admit))
            except NeedsTransaction:
                pass
        return self._run(work)

    def _run(self, work: Callable[[UnitOfWork, Caller], Result]) -> Result:
        with self.units() as uow:
            if self.claim is not None:
                self.claim.take(uow)
            return work(uow, Caller(self.token, self.admit))


def hop(*permissions: Permission) -> Callable[[Request, str | None], Awaitable[Hop]]:
    """A dependency (no I/O, no hop of its own) giving the route its ``Hop``, which
    lets the work run only for a caller holding every permission."""
    needed = frozenset(permissions)
    open_hop = _opener(partial(check_permissions, needed=needed, every=True))
    open_hop.permissions = needed  # type: ignore[attr-defined]  # the scope walker finds it
    return open_hop


def _opener(
    admit: Callable[[Principal], Principal],
) -> Callable[[Request, str | None], Awaitable[Hop]]:
    async def open_hop(request: Request, token: TokenDep) -> Hop:
        state = request.app.state
        return Hop(
            state.uow_factory, state.env, token, claim_of(request), admit, client_address(request)
        )

    return open_hop


resident_hop = _opener(residents_only)  # a resident's own account, as ``ResidentDep``
