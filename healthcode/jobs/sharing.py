"""The daily colour statistics for other departments (``services/sharing/statistics``).

Run once a day after midnight for the day before, under a lease; writing the same
day's file again replaces it with the same content, so a repeat is harmless.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import structlog

from healthcode.domain.clock import day_of
from healthcode.jobs.lease import if_leader
from healthcode.services.shared.env import Env
from healthcode.services.sharing.statistics import export_statistics
from healthcode.store.uow import UnitOfWorkFactory

log = structlog.get_logger()


def export_stats(units: UnitOfWorkFactory, env: Env, *, day: date | None = None) -> Path:
    when = day or day_of(env.clock.now()) - timedelta(days=1)
    with units.reading() as uow:  # a replica's lag of seconds is nothing to a day's counts
        path = export_statistics(uow, env, day=when)
    log.info("job.export_stats", day=when.isoformat(), path=str(path))
    return path


def export_stats_if_leader(
    units: UnitOfWorkFactory, env: Env, *, day: date | None = None
) -> Path | None:
    return if_leader(
        units,
        "export_stats",
        lambda: export_stats(units, env, day=day),
        lease=timedelta(minutes=30),
    )
