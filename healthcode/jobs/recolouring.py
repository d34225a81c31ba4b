"""Recolouring owed after an import or a rollback, run once per batch at a time.

The request (or command) that commits a batch recolours its residents right after
the commit (``recolour_after_commit``). Should that run not finish (the process
killed, the database lost on the way), the batch stays owed
(``ImportBatch.recolour_due_at``) and ``recolour_pending`` finishes it: the
scheduler every minute, or ``healthcode data recolour``. Every run holds the batch's
lease (``jobs/lease.py``), renewed while it lasts, so the request's own run and the
job never recolour one batch together; a lease left by a killed process expires.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import structlog

from healthcode.jobs.lease import if_leader
from healthcode.services.records.recolouring import Recoloured, recolour_batch
from healthcode.services.shared.env import Env
from healthcode.store.outage import DATABASE_ERRORS
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory

log = structlog.get_logger()
GRACE = timedelta(minutes=1)  # a batch's own run starts at once; the job waits this long
LEASE = timedelta(minutes=2)


def recolour_led(units: UnitOfWorkFactory, env: Env, *, batch_id: uuid.UUID) -> Recoloured | None:
    """``recolour_batch`` under the batch's lease; None if another run holds it."""

    def work() -> Recoloured:
        return recolour_batch(units, env, batch_id=batch_id)

    return if_leader(units, f"recolour-batch:{batch_id}", work, lease=LEASE)


@dataclass(frozen=True)
class Pending:
    done: tuple[uuid.UUID, ...]  # batches recoloured now
    held: tuple[uuid.UUID, ...]  # left to the run holding them (a dead one's lease expires)


def recolour_pending(units: UnitOfWorkFactory, env: Env, *, grace: timedelta = GRACE) -> Pending:
    """Finish every recolouring owed for longer than ``grace`` (a process killed after
    the batch committed, a database lost on the way), oldest first."""
    with units() as uow:
        owed = uow.import_batches.recolour_due(env.clock.now() - grace)
    done = [b for b in owed if recolour_led(units, env, batch_id=b) is not None]
    held = tuple(b for b in owed if b not in done)
    if owed:
        log.info("records.recolour_pending", done=len(done), held=len(held))
    return Pending(tuple(done), held)


def recolour_after_commit(
    uow: UnitOfWork, units: UnitOfWorkFactory, env: Env, *, batch_id: uuid.UUID
) -> None:
    """Once `uow` has committed the import (or its rollback), recolour its residents:
    they must never see a colour from records that did not commit. The request that
    committed answers for what it committed: if the database fails meanwhile, the
    recolouring stays owed for ``recolour_pending``."""

    def hook() -> None:
        try:
            recolour_led(units, env, batch_id=batch_id)
        except DATABASE_ERRORS as error:
            log.warning("records.recolour_deferred", batch=str(batch_id), error=repr(error))

    uow.after_commit(hook)
