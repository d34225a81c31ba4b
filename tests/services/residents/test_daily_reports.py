"""Daily reports, signing, and the rollover that lets time change colours."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput
from healthcode.domain.signing import MilderThanRules
from healthcode.domain.state import State
from healthcode.jobs.rollover import rollover
from healthcode.services.organisations.signing import NotPending, sign_pass
from healthcode.services.residents.daily_reports import AlreadyReported, DeclareFirst
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories.units import SameUnit
from tests.services.conftest import declare, new_account, report

DAY = timedelta(days=1)


def signed_pass(uow: UnitOfWork, env: Env, account: t.Account) -> State:
    state = declare(uow, env, account, "shandong-pass")
    assert state.application_id
    issuer = new_account(uow, env, "13700003333")
    return sign_pass(
        uow,
        env,
        issuer_id=issuer.id,
        application_id=uuid.UUID(state.application_id),
        colour=Colour.GREEN,
    )


class TestDailyReport:
    def test_report_before_declaring_is_refused(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        with pytest.raises(DeclareFirst):
            report(uow, env, account, "binzhou-code")

    def test_fever_then_fourteen_normal_days(
        self, uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
    ) -> None:
        assert declare(uow, env, account, temperature=38.2).colour is Colour.YELLOW
        for day in range(1, 15):
            clock.advance(DAY)
            state = report(uow, env, account, "binzhou-code")
            assert state.colour is (Colour.GREEN if day == 14 else Colour.YELLOW), day

    def test_morning_and_evening_for_a_health_code(
        self, uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
    ) -> None:
        declare(uow, env, account)
        report(uow, env, account, "binzhou-code")
        clock.advance(timedelta(hours=10))
        state = report(uow, env, account, "binzhou-code", temperature=37.6)
        assert state.colour is Colour.YELLOW

    def test_once_a_day_for_a_pass(
        self, uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
    ) -> None:
        signed_pass(uow, env, account)
        clock.advance(DAY)
        report(uow, env, account, "shandong-pass")
        with pytest.raises(AlreadyReported):
            report(uow, env, account, "shandong-pass")

    def test_a_report_needs_a_temperature(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        declare(uow, env, account)
        with pytest.raises(InvalidInput) as caught:
            report(uow, env, account, "binzhou-code", temperature=None)
        assert caught.value.errors[0].field == "temperature"


class TestSigning:
    def test_milder_than_the_rules_is_refused(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        state = declare(uow, env, account, "shandong-pass", temperature=37.5)
        assert state.suggested is Colour.RED
        issuer = new_account(uow, env, "13700003333")
        assert state.application_id
        with pytest.raises(MilderThanRules):
            sign_pass(
                uow,
                env,
                issuer_id=issuer.id,
                application_id=uuid.UUID(state.application_id),
                colour=Colour.GREEN,
            )

    def test_stricter_needs_a_note_and_is_kept(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        state = declare(uow, env, account, "shandong-pass")
        issuer = new_account(uow, env, "13700003333")
        assert state.application_id
        app_id = uuid.UUID(state.application_id)
        with pytest.raises(InvalidInput):
            sign_pass(uow, env, issuer_id=issuer.id, application_id=app_id, colour=Colour.YELLOW)
        signed = sign_pass(
            uow,
            env,
            issuer_id=issuer.id,
            application_id=app_id,
            colour=Colour.YELLOW,
            note="视频通话中未能测量体温",
        )
        assert signed.colour is Colour.YELLOW
        with pytest.raises(NotPending):
            sign_pass(uow, env, issuer_id=issuer.id, application_id=app_id, colour=Colour.GREEN)


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


@pytest.fixture
def committed(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions that really commit, on their own connections, for races; whatever the
    test creates is deleted afterwards (residents cascade to their facts and codes)."""
    factory = sessionmaker(engine, expire_on_commit=False)
    yield factory
    with factory.begin() as session:
        session.execute(delete(t.AuditEvent))
        session.execute(delete(t.Resident))
        session.execute(delete(t.Account))


def test_two_issuers_cannot_both_sign(committed: sessionmaker[Session], env: Env) -> None:
    """The first issuer holds the application row; the second waits for it, then
    finds the application no longer pending."""
    units = UnitOfWorkFactory(committed)
    with units() as uow:
        account = new_account(uow, env, "13800001111")
        state = declare(uow, env, account, "shandong-pass")
        first_issuer = new_account(uow, env, "13700003333").id
        second_issuer = new_account(uow, env, "13700004444").id
    assert state.application_id is not None
    application = uuid.UUID(state.application_id)
    outcome: list[object] = []

    def second() -> None:
        with units() as other:
            try:
                outcome.append(
                    sign_pass(
                        other,
                        env,
                        issuer_id=second_issuer,
                        application_id=application,
                        colour=Colour.RED,
                        note="视频中发热",
                    )
                )
            except NotPending as error:
                outcome.append(error)

    with units() as uow:
        sign_pass(uow, env, issuer_id=first_issuer, application_id=application, colour=Colour.GREEN)
        racer = threading.Thread(target=second)
        racer.start()
        time.sleep(0.3)
        assert racer.is_alive(), "the second signature should wait for the row lock"
    racer.join(timeout=30)
    assert len(outcome) == 1
    assert isinstance(outcome[0], NotPending)
    with committed() as session:
        assert session.scalar(select(func.count()).select_from(t.Signature)) == 1
