"""What every node's scheduler runs: the jobs that keep colours right without anyone
asking, among them the recolouring a killed import left owed."""

from __future__ import annotations

from datetime import timedelta

from apscheduler.triggers.interval import IntervalTrigger

from healthcode.jobs.recolouring import recolour_pending
from healthcode.jobs.rollover import rollover_if_leader, top_up_if_leader
from healthcode.jobs.scheduler import start_scheduler
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.factories.units import SameUnit


def test_the_scheduler_finishes_owed_recolourings_every_minute(uow: UnitOfWork, env: Env) -> None:
    scheduler = start_scheduler(SameUnit(uow), env)  # type: ignore[arg-type]
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        owed = jobs["recolour_pending"]
        assert owed.func is recolour_pending
        assert isinstance(owed.trigger, IntervalTrigger)
        assert owed.trigger.interval == timedelta(minutes=1)
        assert jobs["rollover"].func is rollover_if_leader
        assert jobs["top_up"].func is top_up_if_leader  # by day, before the night's rollover
    finally:
        scheduler.shutdown(wait=False)
