"""Re-evaluate every code whose state can have changed with time alone.

Each code stores ``recheck_at``, the first instant its colour could change with
no new facts (an expiry, a lapse, the midnight after a day that needed a report).
The rollover re-evaluates the codes whose instant has come, a page of 1,000 per
transaction read and written set-wise (``services/codes/batches.py``), and records
the run. Running it again for the same instant changes nothing: every
re-evaluated code's ``recheck_at`` moves past that instant.

By day, ``top_up_ahead`` evaluates the codes whose states ahead the coming night's
rollover would find used up, so that the night moves them in SQL (docs/batches.md,
"Topped up by day").
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import structlog

from healthcode.domain.clock import day_of, start_of
from healthcode.jobs.lease import if_leader
from healthcode.jobs.processes import in_ranges
from healthcode.services.codes.batches import (
    PAGE,
    Recoloured,
    advance_due,
    in_pages,
    recolour_codes,
    top_up,
)
from healthcode.services.codes.recolour import Cause
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import IdRange, UnitOfWork, UnitOfWorkFactory

log = structlog.get_logger()
JOB = "rollover"
TOP_UP = "top_up"
# The night's rollovers run every few minutes from midnight: states ahead that hold
# then, a little after, spare the engine at night.
NIGHT = timedelta(minutes=15)


@dataclass(frozen=True)
class RolloverResult:
    at: datetime
    checked: int
    changed: int
    advanced: int = 0  # of those checked: moved along their states ahead, no engine


def rollover(
    units: UnitOfWorkFactory, env: Env, *, at: datetime | None = None, workers: int = 1
) -> RolloverResult:
    """Re-evaluate all codes due at `at` (default: now); env.clock must read `at`.
    ``workers``: processes sharing the codes by resident id range (``jobs/processes.py``)."""
    started = env.clock.now()
    at = at or started
    if at > started:
        raise ValueError("the rollover cannot run ahead of the clock; give the env a clock at `at`")
    with units() as uow:  # codes of a policy no longer offered: nothing to recheck
        forgotten = uow.code_batches.forget_policy(at, list(env.policies))
    advanced = advance_due(units, env, at=at)  # one process: the work is PostgreSQL's
    with units() as uow:
        left = bool(uow.code_batches.due(at, 1))
    done = in_ranges(partial(_due_codes, at), units, env, workers) if left else []
    result = sum(done, advanced)
    checked, changed = result.checked + forgotten, result.changed
    with units() as uow:
        uow.add(
            t.JobRun(
                job=JOB,
                at=at,
                started_at=started,
                finished_at=env.clock.now(),
                checked=checked,
                changed=changed,
            )
        )
    log.info(
        "job.rollover",
        at=at.isoformat(),
        checked=checked,
        changed=changed,
        advanced=result.advanced,
    )
    return RolloverResult(at, checked, changed, result.advanced)


def _due_codes(at: datetime, units: UnitOfWorkFactory, env: Env, within: IdRange) -> Recoloured:
    """The due codes the advance left, evaluated a page at a time."""

    def next_page(uow: UnitOfWork) -> list[tuple[uuid.UUID, str]]:
        return uow.code_batches.due(at, PAGE, within)

    def work(uow: UnitOfWork, page: Sequence[tuple[uuid.UUID, str]]) -> Recoloured:
        return recolour_codes(uow, env, keys=page, cause=Cause.TIME)

    return in_pages(units, next_page, work)


def rollover_if_leader(
    units: UnitOfWorkFactory,
    env: Env,
    *,
    lease: timedelta = timedelta(minutes=10),
    workers: int | None = None,
) -> RolloverResult | None:
    """Run the rollover only in the one process that holds the lease (a worker's
    scheduler or the CLI alike), and give the lease up when done; on ``workers``
    processes (default: the settings' ``batch_workers``)."""
    shared = workers or env.settings.batch_workers
    return if_leader(units, JOB, lambda: rollover(units, env, workers=shared), lease=lease)


def top_up_ahead(units: UnitOfWorkFactory, env: Env, *, workers: int = 1) -> Recoloured:
    """By day: the codes the coming night's rollover would otherwise give the engine
    (their states ahead used up) evaluated now, so that it moves them in SQL
    (``batches.top_up``). ``workers``: processes sharing them by resident id range,
    as the rollover's engine pages are shared (``jobs/processes.py``)."""
    before = start_of(day_of(env.clock.now()) + timedelta(days=1)) + NIGHT
    started = time.perf_counter()
    done = sum(in_ranges(partial(top_up, before=before), units, env, workers), Recoloured(0, 0))
    seconds = round(time.perf_counter() - started, 1)
    log.info(
        "job.top_up",
        before=before.isoformat(),
        checked=done.checked,
        seconds=seconds,
        workers=workers,
    )
    return done


def top_up_if_leader(
    units: UnitOfWorkFactory,
    env: Env,
    *,
    lease: timedelta = timedelta(minutes=30),
    workers: int | None = None,
) -> Recoloured | None:
    """``top_up_ahead`` in the one process holding its lease, on ``workers`` processes
    (default: the settings' ``batch_workers``, as the rollover's)."""
    shared = workers or env.settings.batch_workers
    return if_leader(units, TOP_UP, lambda: top_up_ahead(units, env, workers=shared), lease=lease)
