"""Request-scoped dependencies: the environment and one unit of work per request.

Dependencies that do no I/O are ``async def``: FastAPI runs a plain ``def``
dependency in the thread pool, and each such hop costs more than the work.

The unit of work is scoped to the handler (``scope="function"``) so it commits
*before* the response is sent: a failed commit becomes an error response, never a
200 for something that was not saved.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from healthcode.http.idempotency import claim_of
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory


async def get_env(request: Request) -> Env:
    env: Env = request.app.state.env
    return env


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """Open without I/O on the event loop; commit or roll back in the thread pool.
    A request with an idempotency key claims it first, in this same transaction."""
    factory: UnitOfWorkFactory = request.app.state.uow_factory
    scope = factory()
    uow = scope.__enter__()
    try:
        claim = claim_of(request)
        if claim is not None:
            await run_in_threadpool(claim.take, uow)
        yield uow
    except BaseException as error:
        await run_in_threadpool(scope.__exit__, type(error), error, error.__traceback__)
        raise
    await run_in_threadpool(scope.__exit__, None, None, None)


async def get_units(request: Request) -> UnitOfWorkFactory:
    """Transactions of one's own, for work after the request's commit (recolouring a
    committed import, a batch of residents per transaction)."""
    factory: UnitOfWorkFactory = request.app.state.uow_factory
    return factory


EnvDep = Annotated[Env, Depends(get_env)]
UnitsDep = Annotated[UnitOfWorkFactory, Depends(get_units)]
UowDep = Annotated[UnitOfWork, Depends(get_uow, scope="function")]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _client(request: Request) -> str:
    return client_address(request)


ClientDep = Annotated[str, Depends(_client)]
