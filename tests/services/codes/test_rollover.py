"""The rollover: time changes colours for residents who never open the app."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from healthcode.domain.clock import FixedClock
from healthcode.jobs.rollover import rollover
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.units import SameUnit
from tests.services.conftest import report, signed_pass

DAY = timedelta(days=1)


class TestRollover:
    def test_a_pass_turns_yellow_on_day_six_without_anyone_looking(
        self, uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
    ) -> None:
        signed_pass(uow, env, account)
        for _ in range(5):
            clock.advance(DAY)
            report(uow, env, account, "shandong-pass")
        clock.advance(DAY)
        result = rollover(SameUnit(uow), env)  # type: ignore[arg-type]
        assert (result.checked, result.changed) == (1, 1)
        code = uow.session.scalars(select(t.Code)).one()
        assert code.colour == "yellow"
        latest = uow.codes.history(code.id)[0]
        assert (latest.cause, latest.rule_ids) == ("time", ["SD-EXPIRED"])

    def test_running_it_again_changes_nothing(
        self, uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
    ) -> None:
        signed_pass(uow, env, account)
        clock.advance(2 * DAY)
        first = rollover(SameUnit(uow), env)  # type: ignore[arg-type]
        second = rollover(SameUnit(uow), env)  # type: ignore[arg-type]
        assert first.changed == 1  # yesterday's report is missing: yellow
        assert (second.checked, second.changed) == (0, 0)

    def test_at_the_instant_a_pass_lapses_and_a_second_before(
        self, uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
    ) -> None:
        """The batch carries a replayed state to now only before that state's recheck:
        the lapse instant itself is evaluated, one second earlier is still green."""
        signed_pass(uow, env, account)
        code = uow.session.scalars(select(t.Code)).one()
        assert code.valid_until is not None
        while clock.now() + DAY < code.valid_until:
            clock.advance(DAY)
            report(uow, env, account, "shandong-pass")
        clock.set(code.valid_until - timedelta(seconds=1))
        rollover(SameUnit(uow), env)  # type: ignore[arg-type]
        assert uow.session.scalars(select(t.Code)).one().colour == "green"
        clock.set(code.valid_until)
        result = rollover(SameUnit(uow), env)  # type: ignore[arg-type]
        code = uow.session.scalars(select(t.Code)).one()
        assert (result.changed, code.colour) == (1, "yellow")
        latest = uow.codes.history(code.id)[0]
        assert (latest.at, latest.rule_ids) == (code.valid_until, ["SD-EXPIRED"])
