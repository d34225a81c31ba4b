"""`jobs outbox` and `jobs reminders` from the command line: each message goes once."""

from __future__ import annotations

from sqlalchemy import select

from healthcode.cli import app
from healthcode.domain.clock import FixedClock
from healthcode.store import tables as t
from tests.cli.test_cli import START, database, runner, units_and_env
from tests.services.conftest import declare, new_account

__all__ = ["database"]  # the fixture, shared with test_cli


def test_the_outbox_is_drained_once_and_the_reminders_run(database: str) -> None:
    units, env = units_and_env(database, FixedClock(START))
    with units() as uow:
        declare(uow, env, new_account(uow, env, "13800001111"), temperature=37.8)
    first = runner.invoke(app, ["jobs", "outbox"])
    assert first.exit_code == 0, first.output
    assert "1 sent, 0 failed" in first.output
    again = runner.invoke(app, ["jobs", "outbox"])
    assert "0 sent, 0 failed" in again.output
    with units() as uow:
        [row] = uow.session.scalars(select(t.OutboxMessage)).all()
        assert row.sent_at is not None
    reminders = runner.invoke(app, ["jobs", "reminders"])
    assert reminders.exit_code == 0, reminders.output
    assert "0 pass lapsing, 0 report due" in reminders.output
