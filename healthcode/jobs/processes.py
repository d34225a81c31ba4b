"""A batch job across processes: the rollover or a policy change, each process on the
residents of one id range (``store/batches.py:id_ranges``).

The engine that decides each code is pure Python, so one process uses one core
whatever the machine has. Pages are independent and a resident's codes fall in one
range only, so the processes never wait on each other's locks; each opens its own
connections and writes its own transactions, exactly as one process would. On this
2-core machine two processes recoloured 1.6–1.75 × the codes per second of one
(docs/batches.md); on a server the gain grows with its cores until the database's
write rate binds.

This process takes the first range itself; the others go to fresh interpreters
(``spawn``: nothing of this process's connections or threads is copied), which
build their units of work and environment from the settings and the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import TypeVar

from healthcode import heap
from healthcode.config import Settings
from healthcode.domain.clock import Clock
from healthcode.services.shared.env import Env, make_env
from healthcode.store.batches import IdRange, id_ranges
from healthcode.store.db import make_engine, read_sessions, session_factory
from healthcode.store.uow import UnitOfWorkFactory

Result = TypeVar("Result")


def units_of(settings: Settings) -> UnitOfWorkFactory:
    """Units of work on the settings' database (and read replica, if any)."""
    return UnitOfWorkFactory(
        session_factory(make_engine(settings.database_url, pgbouncer=settings.pgbouncer)),
        read_sessions(settings.read_database_url, pgbouncer=settings.pgbouncer),
    )


def in_ranges(
    job: Callable[[UnitOfWorkFactory, Env, IdRange], Result],
    units: UnitOfWorkFactory,
    env: Env,
    workers: int,
) -> list[Result]:
    """``job`` on each of ``workers`` id ranges, the results in range order: the first
    here, on ``units`` and ``env``; each other in a process of its own, on units and an
    environment made there from ``env``'s settings and clock (so ``job`` must be
    picklable: a module-level function, or a ``partial`` of one). A failure in any
    is raised."""
    ranges = id_ranges(workers)
    if workers == 1:
        return [job(units, env, ranges[0])]
    with ProcessPoolExecutor(workers - 1, mp_context=get_context("spawn")) as pool:
        others = [
            pool.submit(_in_worker, job, env.settings, env.clock, within) for within in ranges[1:]
        ]
        first = job(units, env, ranges[0])
        return [first, *(other.result() for other in others)]


def _in_worker(
    job: Callable[[UnitOfWorkFactory, Env, IdRange], Result],
    settings: Settings,
    clock: Clock,
    within: IdRange,
) -> Result:
    units, env = units_of(settings), make_env(settings, clock)
    heap.settle()
    return job(units, env, within)
