"""Recolouring owed after an import or a rollback, run once per batch at a time.

The request (or command) that commits a batch recolours its residents right after
the commit (``recolour_after_commit``; for a large batch in a thread, after the
response). Should that run not finish (the process
killed, the database lost on the way), the batch stays owed
(``ImportBatch.recolour_due_at``) and ``recolour_pending`` finishes it: the
scheduler every minute, or ``healthcode data recolour``. Every run holds the batch's
lease (``jobs/lease.py``), renewed while it lasts, so the request's own run and the
job never recolour one batch together; a lease left by a killed process expires.
"""

from __future__ import annotations

import threading
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
THREAD = "recolour-batch:"  # + the batch id: its run's lease, and its thread after the response


def recolour_led(units: UnitOfWorkFactory, env: Env, *, batch_id: uuid.UUID) -> Recoloured | None:
    """``recolour_batch`` under the batch's lease; None if another run holds it."""

    def work() -> Recoloured:
        return recolour_batch(units, env, batch_id=batch_id)

    return if_leader(units, f"{THREAD}{batch_id}", work, lease=LEASE)


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
    uow: UnitOfWork, units: UnitOfWorkFactory, env: Env, *, batch_id: uuid.UUID, records: int
) -> bool:
    """Once `uow` has committed the import (or its rollback) of ``records`` changed
    records, recolour its residents: they must never see a colour from records that
    did not commit. Whether that runs after the response (more records than
    ``recolour_inline_records``: a thread of this process, so the department need not
    wait); either way a run that fails or dies leaves it owed for ``recolour_pending``."""
    later = records > env.settings.recolour_inline_records

    def hook() -> None:
        if later:
            name = f"{THREAD}{batch_id}"
            threading.Thread(target=_run, args=(units, env, batch_id), name=name).start()
        else:
            _run(units, env, batch_id)

    uow.after_commit(hook)
    return later


def _run(units: UnitOfWorkFactory, env: Env, batch_id: uuid.UUID) -> None:
    try:
        recolour_led(units, env, batch_id=batch_id)
    except DATABASE_ERRORS as error:
        log.error("records.recolour_deferred", batch=str(batch_id), error=repr(error))
