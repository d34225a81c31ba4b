"""A time-driven change is recorded at the instant the rule says, however late it is
noticed: by the rollover, by a read, or by the next write (issue 7, item 5)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from healthcode.domain.clock import TZ, FixedClock
from healthcode.domain.colour import Colour
from healthcode.jobs.rollover import rollover
from healthcode.services.codes.recolour import current_state
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.history import assert_history_chains
from tests.factories.organisations import sign_as_issuer
from tests.factories.units import SameUnit
from tests.services.conftest import declare, report

POLICY = "shandong-pass"
MIDNIGHT = datetime(2020, 2, 26, tzinfo=TZ)  # day 2 (02-25) had no report: yellow from here


def by_rollover(uow: UnitOfWork, env: Env, account: t.Account) -> None:
    rollover(SameUnit(uow), env)  # type: ignore[arg-type]


def by_reading(uow: UnitOfWork, env: Env, account: t.Account) -> None:
    assert account.resident_id is not None
    current_state(uow, env, resident_id=account.resident_id, policy=env.policies.find(POLICY))


def by_reporting(uow: UnitOfWork, env: Env, account: t.Account) -> None:
    report(uow, env, account, POLICY)


@pytest.mark.parametrize(
    ("notice", "later"),
    [
        (by_rollover, timedelta(minutes=5)),
        (by_reading, timedelta(hours=10)),
        (by_reporting, timedelta(hours=10)),
    ],
    ids=["rollover at 00:05", "a read at 10:00", "a report at 10:00"],
)
def test_a_missed_report_is_recorded_at_midnight(
    uow: UnitOfWork,
    env: Env,
    account: t.Account,
    clock: FixedClock,
    notice: Callable[[UnitOfWork, Env, t.Account], None],
    later: timedelta,
) -> None:
    state = declare(uow, env, account, POLICY)
    assert state.application_id is not None
    sign_as_issuer(uow, env, uuid.UUID(state.application_id), Colour.GREEN)
    clock.advance(timedelta(days=1))
    report(uow, env, account, POLICY)
    clock.set(MIDNIGHT + later)

    notice(uow, env, account)

    code = uow.session.scalars(select(t.Code)).one()
    history = uow.codes.history(code.id)
    missed = next(c for c in history if c.to_colour == "yellow")
    assert (missed.from_colour, missed.at, missed.cause) == ("green", MIDNIGHT, "time")
    assert_history_chains(history)
    if notice is by_reporting:  # the report itself then restores green, at its own time
        assert (history[0].to_colour, history[0].at, history[0].cause) == (
            "green",
            MIDNIGHT + later,
            "daily_report",
        )
    notes = uow.session.scalars(select(t.Notification).order_by(t.Notification.at)).all()
    assert MIDNIGHT in [n.at for n in notes]
