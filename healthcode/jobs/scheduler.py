"""The in-process scheduler of the embedded default (APScheduler).

Every worker starts one, but each job (the rollover every five minutes, and the
codes it would give the engine at night topped up with states ahead daily at 15:30; the
recolouring an import or a rollback still owes, every minute, a lease per batch; the
temperature videos' retention and orphan sweep hourly; the reminders; the outbox drain;
the colour statistics for other departments daily at 01:10; the monthly partitions of
scans and daily reports made ahead daily at 00:40 and dropped past retention at 03:20)
holds a database lease, so only one worker runs it at a time; the jobs are idempotent,
so an overlap is harmless too.
"""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler

from healthcode.domain.clock import TZ
from healthcode.jobs import videos
from healthcode.jobs.notices import drain_if_leader, remind_if_leader
from healthcode.jobs.partitions import make_partitions_if_leader, retire_if_leader
from healthcode.jobs.recolouring import recolour_pending
from healthcode.jobs.rollover import rollover_if_leader, top_up_if_leader
from healthcode.jobs.sharing import export_stats_if_leader
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWorkFactory

EVERY_MINUTES = 5


def start_scheduler(units: UnitOfWorkFactory, env: Env) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=TZ)
    scheduler.add_job(
        rollover_if_leader,
        "cron",
        minute=f"*/{EVERY_MINUTES}",
        second=5,
        args=(units, env),
        id="rollover",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        recolour_pending,
        "interval",
        minutes=1,
        args=(units, env),
        id="recolour_pending",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        videos.run_if_leader,
        "cron",
        minute=17,
        args=(units, env),
        id="videos",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        remind_if_leader,
        "cron",
        minute=f"*/{EVERY_MINUTES}",
        second=35,
        args=(units, env),
        id="reminders",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        drain_if_leader,
        "interval",
        seconds=env.settings.outbox_seconds,
        args=(units, env),
        id="outbox",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        export_stats_if_leader,
        "cron",
        hour=1,
        minute=10,
        args=(units, env),
        id="export_stats",
        max_instances=1,
        coalesce=True,
    )
    for job, hour, minute in (
        (make_partitions_if_leader, 0, 40),
        (retire_if_leader, 3, 20),
        (top_up_if_leader, 15, 30),
    ):
        scheduler.add_job(
            job,
            "cron",
            hour=hour,
            minute=minute,
            args=(units, env),
            id=job.__name__.removesuffix("_if_leader"),
            max_instances=1,
            coalesce=True,
        )
    scheduler.start()
    return scheduler
