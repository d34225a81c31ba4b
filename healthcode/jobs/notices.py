"""The notification jobs: the reminders, and draining the outbox to the channel.

Both run under a lease, so of several workers' schedulers one runs each at a time.
The drain hands messages to the channel outside any transaction and records each
outcome in its own, so a slow webhook never holds the database; a crash between
handing over and recording sends the message again, with the same id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

import structlog

from healthcode.jobs.lease import if_leader
from healthcode.services.notices import outbox
from healthcode.services.notices.reminders import remind_lapsing, remind_report_due
from healthcode.services.shared.env import Env
from healthcode.services.shared.outbound import DeliveryFailed
from healthcode.store.uow import UnitOfWorkFactory

log = structlog.get_logger()
BATCH = 100
T = TypeVar("T")


@dataclass(frozen=True)
class RemindResult:
    lapsing: int
    report_due: int


@dataclass(frozen=True)
class DrainResult:
    sent: int
    failed: int


def remind(units: UnitOfWorkFactory, env: Env) -> RemindResult:
    with units() as uow:
        lapsing = remind_lapsing(uow, env)
    with units() as uow:
        due = remind_report_due(uow, env)
    log.info("job.reminders", lapsing=lapsing, report_due=due)
    return RemindResult(lapsing, due)


def drain(units: UnitOfWorkFactory, env: Env, *, limit: int = BATCH) -> DrainResult:
    sent = failed = 0
    while True:
        with units() as uow:
            messages = outbox.due(uow, env, limit=limit)
        for message in messages:
            try:
                env.channel.deliver(message)
            except Exception as error:  # any gateway error is this message's, to retry:
                # an unexpected one stopped the drain, and the same oldest message came
                # first again on every run, so nothing after it was ever sent
                if not isinstance(error, DeliveryFailed):
                    error = DeliveryFailed(f"{type(error).__name__}: {error}")
                with units() as uow:
                    outbox.failed(uow, env, message_id=message.id, error=error)
                failed += 1
            else:
                with units() as uow:
                    outbox.sent(uow, env, message_id=message.id)
                sent += 1
        if len(messages) < limit:
            return DrainResult(sent, failed)


def remind_if_leader(
    units: UnitOfWorkFactory, env: Env, *, lease: timedelta = timedelta(minutes=10)
) -> RemindResult | None:
    return if_leader(units, "reminders", lambda: remind(units, env), lease=lease)


def drain_if_leader(
    units: UnitOfWorkFactory, env: Env, *, lease: timedelta = timedelta(minutes=5)
) -> DrainResult | None:
    return if_leader(units, "outbox", lambda: drain(units, env), lease=lease)
