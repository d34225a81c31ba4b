"""Run a job only where its lease is taken: of several workers' schedulers (and a
``healthcode jobs …`` command) one runs each job at a time.

The holder is this *run*, not this process: two runs in one process (the scheduler's
thread and a test, or two scheduler ticks that overlap) do not both pass, and one
run's release never frees the lease another run still holds. A run renews its lease
while it lasts, so a run longer than the lease (a province's rollover) is not
started again by another node meanwhile. Leases are between nodes, so they keep the
wall clock, also for a run "as of" another instant (``healthcode jobs rollover --at``,
whose lease taken at that instant was already expired for every other node).
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import structlog

from healthcode.domain.clock import SystemClock
from healthcode.store.uow import UnitOfWorkFactory

log = structlog.get_logger()
PROCESS = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
_WALL = SystemClock()
T = TypeVar("T")


def if_leader(
    units: UnitOfWorkFactory,
    job: str,
    work: Callable[[], T],
    *,
    lease: timedelta = timedelta(minutes=10),
) -> T | None:
    """``work()`` if this run takes the job's lease (else None), which is then given up."""
    now, holder = _WALL.now(), f"{PROCESS}:{uuid.uuid4().hex[:8]}"
    with units() as uow:
        leader = uow.leases.take(job, holder, now, now + lease)
    if not leader:
        log.info(f"job.{job}.skipped", reason="lease_held")
        return None
    stop = threading.Event()
    keeper = threading.Thread(
        target=_keep, args=(units, job, holder, lease, stop), name=f"lease:{job}", daemon=True
    )
    keeper.start()
    try:
        return work()
    finally:
        stop.set()
        keeper.join()
        with units() as uow:
            uow.leases.release(job, holder)


def _keep(
    units: UnitOfWorkFactory,
    job: str,
    holder: str,
    lease: timedelta,
    stop: threading.Event,
) -> None:
    """Renew the lease every third of its length until ``stop``; a lease found taken
    by another holder (this process stalled past its expiry) is logged, not fought."""
    while not stop.wait(lease.total_seconds() / 3):
        now = _WALL.now()
        with units() as uow:
            renewed = uow.leases.take(job, holder, now, now + lease)
        if not renewed:
            log.warning(f"job.{job}.lease_lost", holder=holder)
            return
