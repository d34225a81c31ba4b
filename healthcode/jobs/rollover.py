"""Re-evaluate every code whose state can have changed with time alone.

Each code stores ``recheck_at``, the first instant its colour could change with
no new facts (an expiry, a lapse, the midnight after a day that needed a report).
The rollover re-evaluates the codes whose instant has come, in small transactions,
and records the run. Running it again for the same instant changes nothing: every
re-evaluated code's ``recheck_at`` moves past that instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from healthcode.jobs.lease import if_leader
from healthcode.services.codes.recolour import Cause, recolour
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWorkFactory

log = structlog.get_logger()
JOB = "rollover"
BATCH = 200


@dataclass(frozen=True)
class RolloverResult:
    at: datetime
    checked: int
    changed: int


def rollover(units: UnitOfWorkFactory, env: Env, *, at: datetime | None = None) -> RolloverResult:
    """Re-evaluate all codes due at `at` (default: now); env.clock must read `at`."""
    started = env.clock.now()
    at = at or started
    if at > started:
        raise ValueError("the rollover cannot run ahead of the clock; give the env a clock at `at`")
    checked = changed = 0
    while True:
        with units() as uow:
            due = uow.codes.due_for_recheck(at, BATCH)
            for code in due:
                if code.policy_id not in env.policies:
                    code.recheck_at = None
                    continue
                uow.residents.lock(code.resident_id)  # then re-read: another run may have been here
                uow.codes.of_resident(code.resident_id, code.policy_id, lock=True)
                before = code.history_seq
                recolour(
                    uow,
                    env,
                    resident_id=code.resident_id,
                    policy=env.policies.find(code.policy_id),
                    cause=Cause.TIME,
                )
                changed += code.history_seq != before
            checked += len(due)
        if len(due) < BATCH:
            break
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
    log.info("job.rollover", at=at.isoformat(), checked=checked, changed=changed)
    return RolloverResult(at, checked, changed)


def rollover_if_leader(
    units: UnitOfWorkFactory, env: Env, *, lease: timedelta = timedelta(minutes=10)
) -> RolloverResult | None:
    """Run the rollover only in the one process that holds the lease (a worker's
    scheduler or the CLI alike), and give the lease up when done."""
    return if_leader(units, env, JOB, lambda: rollover(units, env), lease=lease)
