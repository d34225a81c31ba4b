"""Request-scoped dependencies: the environment and one unit of work per request.

The unit of work is scoped to the handler (``scope="function"``) so it commits
*before* the response is sent: a failed commit becomes an error response, never a
200 for something that was not saved.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from healthcode.services.env import Env
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory


def get_env(request: Request) -> Env:
    env: Env = request.app.state.env
    return env


def get_uow(request: Request) -> Iterator[UnitOfWork]:
    factory: UnitOfWorkFactory = request.app.state.uow_factory
    with factory() as uow:
        yield uow


EnvDep = Annotated[Env, Depends(get_env)]
UowDep = Annotated[UnitOfWork, Depends(get_uow, scope="function")]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
