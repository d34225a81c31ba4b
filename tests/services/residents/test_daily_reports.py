"""Daily reports (每日健康上报): once a day for a pass, morning and evening for a code."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from healthcode.domain.clock import FixedClock, day_of
from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput
from healthcode.services.residents.daily_reports import (
    AlreadyReported,
    DeclareFirst,
    NotSignedYet,
    PassLapsed,
)
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import id_number
from tests.factories.organisations import sign_as_issuer
from tests.services.conftest import declare, report, signed_pass, statements

DAY = timedelta(days=1)


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

    def test_a_pass_awaiting_signature_takes_no_report(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        assert declare(uow, env, account, "shandong-pass").colour is Colour.PENDING
        with pytest.raises(NotSignedYet):
            report(uow, env, account, "shandong-pass")

    def test_a_pass_takes_reports_until_the_instant_it_lapses_and_none_after(
        self, uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
    ) -> None:
        """Found from outside: an officer's counter report at the instant the pass
        ended was answered 200 and recorded, though it keeps nothing (the pass stays
        yellow, expired) and the resident's page no longer offers the form."""
        signed = signed_pass(uow, env, account)
        assert signed.valid_until is not None
        for days_left in (4, 3, 2, 1):  # every day reported: green to the end
            clock.set(signed.valid_until - days_left * DAY - timedelta(hours=1))
            assert report(uow, env, account, "shandong-pass").colour is Colour.GREEN
        clock.set(signed.valid_until - timedelta(seconds=1))  # its last second
        assert report(uow, env, account, "shandong-pass").colour is Colour.GREEN
        clock.set(signed.valid_until)
        with pytest.raises(PassLapsed) as caught:
            report(uow, env, account, "shandong-pass")
        assert caught.value.params == {"until": "2020-02-29 00:00"}
        assert account.resident_id is not None
        today = day_of(clock.now())
        assert uow.daily_reports.count_on(account.resident_id, "shandong-pass", today) == 0

    def test_a_report_needs_a_temperature(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        declare(uow, env, account)
        with pytest.raises(InvalidInput) as caught:
            report(uow, env, account, "binzhou-code", temperature=None)
        assert caught.value.errors[0].field == "temperature"

    def test_a_report_reads_and_locks_the_residents_codes_once(
        self, uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
    ) -> None:
        """A report recolours every code the resident holds: one statement reads and
        locks them all, and no recolour reads its code again (a round trip fewer per
        report, two for a resident holding a pass and a health code)."""
        number = id_number()
        applied = declare(uow, env, account, "shandong-pass", id_number=number)
        assert applied.application_id is not None
        sign_as_issuer(uow, env, uuid.UUID(applied.application_id), Colour.GREEN)
        declare(uow, env, account, "binzhou-code", id_number=number)
        uow.commit()
        clock.advance(timedelta(hours=2))
        with statements(uow) as sent:
            report(uow, env, account, "binzhou-code")
        reads = [s for s in sent if s.lstrip().startswith("SELECT") and "FROM codes" in s]
        assert len(reads) == 1
        assert account.resident_id is not None
        recoloured = uow.codes.all_of_resident(account.resident_id)
        assert {c.policy_id for c in recoloured} == {"binzhou-code", "shandong-pass"}
        assert all(c.evaluated_at == clock.now() for c in recoloured)
