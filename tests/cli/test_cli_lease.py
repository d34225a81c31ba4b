"""`jobs rollover` from the command line takes the same lease as the servers'
scheduler, so it never runs beside another rollover (issue 7, item 21)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select

from healthcode.cli import app
from healthcode.domain.clock import FixedClock
from healthcode.domain.colour import Colour
from healthcode.jobs.rollover import JOB, TOP_UP
from healthcode.store import tables as t
from tests.cli.test_cli import START, database, runner, units_and_env
from tests.factories.organisations import sign_as_issuer
from tests.services.conftest import declare, new_account

__all__ = ["database"]  # the fixture, shared with test_cli


def test_the_cli_rollover_waits_for_the_lease(database: str) -> None:
    clock = FixedClock(START)
    units, env = units_and_env(database, clock)
    with units() as uow:
        resident = new_account(uow, env, "13800001111")
        state = declare(uow, env, resident, "shandong-pass")
        assert state.application_id is not None
        app_id = uuid.UUID(state.application_id)
        sign_as_issuer(uow, env, app_id, Colour.GREEN)
    at = (START + timedelta(days=2)).replace(hour=0, minute=5)
    with units() as uow:  # a server's scheduler is running the rollover right now (leases
        # keep the wall clock, whatever instant the command replays)
        expires = datetime.now(UTC) + timedelta(minutes=9)
        uow.add(t.Lease(name=JOB, holder="server-1:abcd", expires_at=expires))

    held = runner.invoke(app, ["jobs", "rollover", "--at", at.isoformat()[:16]])

    assert held.exit_code == 1, held.output
    assert "another process holds the lease" in held.output
    with units() as uow:
        assert uow.session.scalar(select(func.count()).select_from(t.ColourChange)) == 2
        uow.session.execute(delete(t.Lease))
    ran = runner.invoke(app, ["jobs", "rollover", "--at", at.isoformat()[:16]])
    assert ran.exit_code == 0, ran.output
    assert "1 checked, 1 changed colour" in ran.output
    with units() as uow:
        assert uow.session.scalars(select(t.Lease)).all() == []  # given up when done


def test_the_cli_top_up_takes_the_servers_lease(database: str) -> None:
    units, _ = units_and_env(database, FixedClock(START))
    with units() as uow:  # a server is topping up right now
        expires = datetime.now(UTC) + timedelta(minutes=9)
        uow.add(t.Lease(name=TOP_UP, holder="server-1:abcd", expires_at=expires))
    held = runner.invoke(app, ["jobs", "top-up"])
    assert held.exit_code == 1, held.output
    assert "another process holds the lease" in held.output
    with units() as uow:
        uow.session.execute(delete(t.Lease))
    ran = runner.invoke(app, ["jobs", "top-up"])
    assert ran.exit_code == 0, ran.output
    assert "top-up: 0 codes given states ahead for the coming night" in ran.output
