"""Monthly partitions of scans and daily reports (``store/partitions.py``): made ahead
daily, and dropped once past retention, each under its own lease.

Both are idempotent: a month's partition is made once, a dropped one is not found
again. On SQLite (plain tables) making partitions does nothing and retention
deletes the same rows the partitions would have held.
"""

from __future__ import annotations

from datetime import timedelta

import structlog

from healthcode.domain.clock import day_of
from healthcode.jobs.lease import if_leader
from healthcode.services.shared.env import Env
from healthcode.store import partitions
from healthcode.store.uow import UnitOfWorkFactory

log = structlog.get_logger()


def make_partitions(units: UnitOfWorkFactory, env: Env) -> list[str]:
    today = day_of(env.clock.now())
    with units() as uow:
        made = partitions.ensure(
            uow.session.connection(), today=today, ahead=env.settings.partition_months_ahead
        )
    log.info("job.partitions", made=made)
    return made


def retire(units: UnitOfWorkFactory, env: Env) -> partitions.Retired:
    cutoff = day_of(env.clock.now()) - timedelta(days=env.settings.retention_days)
    with units() as uow:
        retired = partitions.retire(uow.session.connection(), cutoff=cutoff)
    log.info(
        "job.retention",
        before=retired.before.isoformat(),
        dropped=list(retired.dropped),
        deleted=retired.deleted,
    )
    return retired


def make_partitions_if_leader(units: UnitOfWorkFactory, env: Env) -> list[str] | None:
    return if_leader(units, "partitions", lambda: make_partitions(units, env))


def retire_if_leader(units: UnitOfWorkFactory, env: Env) -> partitions.Retired | None:
    return if_leader(units, "retention", lambda: retire(units, env), lease=timedelta(hours=1))
