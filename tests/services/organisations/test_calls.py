"""Video calls (视频通话) as use cases: who may call whom, one live call per application,
the offer's two minutes, answering, hanging up, and the reading taken on camera."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import FixedClock
from healthcode.domain.errors import Forbidden, InvalidInput, NotFound
from healthcode.services.accounts.permissions import Principal, Role
from healthcode.services.accounts.sessions import principal_of
from healthcode.services.organisations import calls
from healthcode.services.organisations.calls import (
    CallBusy,
    CallOver,
    CallStatus,
    EndReason,
    NotAnswered,
    Party,
)
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories.organisations import (
    authorised_issuer,
    issuer_for,
    organisation,
    unauthorised_issuer,
)
from tests.services.conftest import declare, new_account


@dataclass
class Scene:
    application_id: uuid.UUID
    organisation_id: uuid.UUID
    issuer: Principal
    applicant: Principal


def scene(uow: UnitOfWork, env: Env, phone: str = "13800001111") -> Scene:
    """A pass application routed to a community, its issuer, and the applicant."""
    account = new_account(uow, env, phone)
    state = declare(uow, env, account, "shandong-pass")
    assert state.application_id is not None
    application_id = uuid.UUID(state.application_id)
    issuer = issuer_for(uow, env, application_id)
    row = uow.declarations.by_id(application_id)
    assert row is not None
    assert row.organisation_id is not None
    return Scene(
        application_id, row.organisation_id, issuer, principal_of(uow, account_id=account.id)
    )


@pytest.fixture
def s(uow: UnitOfWork, env: Env) -> Scene:
    return scene(uow, env)


def ring(uow: UnitOfWork, env: Env, s: Scene) -> uuid.UUID:
    return calls.start_call(uow, env, s.issuer, application_id=s.application_id).id


def answered(uow: UnitOfWork, env: Env, s: Scene) -> uuid.UUID:
    call_id = ring(uow, env, s)
    calls.join_call(uow, env, s.applicant, call_id=call_id)
    return call_id


class TestStartCall:
    def test_rings_the_applicant_for_two_minutes(self, uow: UnitOfWork, env: Env, s: Scene) -> None:
        call = calls.start_call(uow, env, s.issuer, application_id=s.application_id)
        assert call.status is CallStatus.RINGING
        assert call.expires_at - call.offered_at == timedelta(minutes=2)
        incoming = calls.incoming_call(uow, env, s.applicant)
        assert incoming is not None
        assert incoming.id == call.id
        assert incoming.organisation_name.startswith("测试社区")
        audit = uow.session.scalars(select(t.AuditEvent.action)).all()
        assert "call.started" in audit

    def test_an_issuer_of_another_community_is_told_not_found(
        self, uow: UnitOfWork, env: Env, s: Scene
    ) -> None:
        elsewhere = authorised_issuer(uow, env, organisation(uow, env, region="370102").id)
        with pytest.raises(NotFound):
            calls.start_call(uow, env, elsewhere, application_id=s.application_id)

    def test_an_administrator_who_may_not_sign_cannot_call(
        self, uow: UnitOfWork, env: Env, s: Scene
    ) -> None:
        admin = authorised_issuer(uow, env, s.organisation_id, role=Role.ORG_ADMIN)
        with pytest.raises(NotFound):
            calls.start_call(uow, env, admin, application_id=s.application_id)

    def test_a_revoked_issuer_can_neither_call_nor_stay_in_a_call(
        self, uow: UnitOfWork, env: Env, s: Scene
    ) -> None:
        call_id = answered(uow, env, s)
        uow.accounts.drop(s.issuer.account_id, "issuer", f"org:{s.organisation_id}")
        revoked = principal_of(uow, account_id=s.issuer.account_id)
        with pytest.raises(NotFound):
            calls.join_call(uow, env, revoked, call_id=call_id)
        with pytest.raises(NotFound):
            calls.record_reading(uow, env, revoked, call_id=call_id, temperature=36.6)

    def test_one_live_call_per_application(self, uow: UnitOfWork, env: Env, s: Scene) -> None:
        first = ring(uow, env, s)
        assert ring(uow, env, s) == first  # the same issuer gets their call back
        colleague = authorised_issuer(uow, env, s.organisation_id)
        with pytest.raises(CallBusy):
            calls.start_call(uow, env, colleague, application_id=s.application_id)

    def test_after_an_unanswered_offer_lapses_another_call_may_ring(
        self, uow: UnitOfWork, env: Env, s: Scene, clock: FixedClock
    ) -> None:
        first = ring(uow, env, s)
        clock.advance(timedelta(minutes=2))
        assert calls.incoming_call(uow, env, s.applicant) is None
        colleague = authorised_issuer(uow, env, s.organisation_id)
        second = calls.start_call(uow, env, colleague, application_id=s.application_id)
        assert second.id != first
        history = calls.calls_of_application(uow, env, s.issuer, application_id=s.application_id)
        assert [c.status for c in history] == [CallStatus.RINGING, CallStatus.EXPIRED]
        assert history[1].duration_seconds is None


class TestAnswerAndHangUp:
    def test_answering_connects_and_hanging_up_records_who_and_how_long(
        self, uow: UnitOfWork, env: Env, s: Scene, clock: FixedClock
    ) -> None:
        call_id = ring(uow, env, s)
        clock.advance(timedelta(seconds=30))
        view, party = calls.join_call(uow, env, s.applicant, call_id=call_id)
        assert (view.status, party) == (CallStatus.ACTIVE, Party.RESIDENT)
        clock.advance(timedelta(minutes=3, seconds=5))  # past the offer: answered in time
        view, party = calls.join_call(uow, env, s.issuer, call_id=call_id)
        assert party is Party.ISSUER
        ended = calls.end_call(uow, env, s.applicant, call_id=call_id)
        assert (ended.status, ended.ended_by, ended.end_reason) == (
            CallStatus.ENDED,
            Party.RESIDENT,
            EndReason.HANG_UP,
        )
        assert ended.duration_seconds == 185
        again = calls.end_call(uow, env, s.issuer, call_id=call_id)
        assert again.ended_by is Party.RESIDENT  # stays as it ended
        with pytest.raises(CallOver):
            calls.join_call(uow, env, s.issuer, call_id=call_id)

    def test_the_issuer_giving_up_before_an_answer_cancels(
        self, uow: UnitOfWork, env: Env, s: Scene
    ) -> None:
        ended = calls.end_call(uow, env, s.issuer, call_id=ring(uow, env, s))
        assert (ended.status, ended.end_reason) == (CallStatus.ENDED, EndReason.CANCELLED)
        assert calls.incoming_call(uow, env, s.applicant) is None

    def test_the_applicant_may_decline(self, uow: UnitOfWork, env: Env, s: Scene) -> None:
        call_id = ring(uow, env, s)
        with pytest.raises(NotFound):
            calls.decline_call(uow, env, s.issuer, call_id=call_id)
        declined = calls.decline_call(uow, env, s.applicant, call_id=call_id)
        assert (declined.status, declined.ended_by) == (CallStatus.DECLINED, Party.RESIDENT)
        with pytest.raises(CallOver):
            calls.decline_call(uow, env, s.applicant, call_id=call_id)

    def test_an_expired_offer_cannot_be_answered(
        self, uow: UnitOfWork, env: Env, s: Scene, clock: FixedClock
    ) -> None:
        call_id = ring(uow, env, s)
        clock.advance(timedelta(minutes=2, seconds=1))
        with pytest.raises(CallOver):
            calls.join_call(uow, env, s.applicant, call_id=call_id)
        view, _party = calls.open_call(uow, env, s.applicant, call_id=call_id)
        assert (view.status, view.end_reason) == (CallStatus.EXPIRED, EndReason.EXPIRED)

    def test_nobody_else_reaches_the_call(self, uow: UnitOfWork, env: Env, s: Scene) -> None:
        call_id = ring(uow, env, s)
        other = scene(uow, env, "13800002222")
        for stranger in (other.applicant, other.issuer, unauthorised_issuer()):
            with pytest.raises(NotFound):
                calls.join_call(uow, env, stranger, call_id=call_id)
        with pytest.raises(NotFound):
            calls.join_call(uow, env, s.issuer, call_id=uuid.uuid4())
        assert calls.incoming_call(uow, env, other.applicant) is None


class TestReading:
    def test_is_kept_with_the_call_and_counts_for_the_day(
        self, uow: UnitOfWork, env: Env, s: Scene, clock: FixedClock
    ) -> None:
        call_id = answered(uow, env, s)
        view = calls.record_reading(uow, env, s.issuer, call_id=call_id, temperature=36.6)
        assert view.temperature == 36.6
        calls.end_call(uow, env, s.issuer, call_id=call_id)
        view = calls.record_reading(uow, env, s.issuer, call_id=call_id, temperature=36.7)
        reading = calls.reading_of_day(uow, env, s.issuer, application_id=s.application_id)
        assert reading is not None
        assert (reading.temperature, reading.call_id) == (36.7, call_id)
        clock.advance(timedelta(days=1))
        assert calls.reading_of_day(uow, env, s.issuer, application_id=s.application_id) is None

    @pytest.mark.parametrize(
        ("value", "code"),
        [(37.26, "decimals"), (98.6, "fahrenheit"), (45.0, "out_of_range"), (20.0, "out_of_range")],
    )
    def test_is_checked_like_every_temperature(
        self, uow: UnitOfWork, env: Env, s: Scene, value: float, code: str
    ) -> None:
        call_id = answered(uow, env, s)
        with pytest.raises(InvalidInput) as refused:
            calls.record_reading(uow, env, s.issuer, call_id=call_id, temperature=value)
        assert [(e.field, e.code) for e in refused.value.errors] == [("temperature", code)]

    def test_needs_an_answered_call_and_the_issuer(
        self, uow: UnitOfWork, env: Env, s: Scene
    ) -> None:
        call_id = ring(uow, env, s)
        with pytest.raises(NotAnswered):
            calls.record_reading(uow, env, s.issuer, call_id=call_id, temperature=36.6)
        calls.join_call(uow, env, s.applicant, call_id=call_id)
        with pytest.raises(Forbidden):
            calls.record_reading(uow, env, s.applicant, call_id=call_id, temperature=36.6)


@pytest.fixture
def committed(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions that really commit, each on its own connection (for the race);
    everything made is deleted afterwards."""
    factory = sessionmaker(engine, expire_on_commit=False)
    yield factory
    with factory.begin() as session:
        for table in (t.VideoCall, t.AuditEvent, t.Resident, t.Account, t.Organisation):
            session.execute(delete(table))


def test_two_issuers_calling_at_once_make_one_call(
    committed: sessionmaker[Session], env: Env
) -> None:
    """Both lock the application row; the second finds the first's call ringing."""
    units = UnitOfWorkFactory(committed)
    with units() as uow:
        s = scene(uow, env)
        colleague = authorised_issuer(uow, env, s.organisation_id)
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def call_as(who: Principal) -> None:
        start.wait()
        try:
            with units() as uow:
                outcomes.append(calls.start_call(uow, env, who, application_id=s.application_id))
        except CallBusy as busy:
            outcomes.append(busy)

    racers = [threading.Thread(target=call_as, args=(who,)) for who in (s.issuer, colleague)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=30)
    assert sorted(type(o).__name__ for o in outcomes) == ["CallBusy", "CallView"]
    with committed() as session:
        assert session.scalar(select(func.count()).select_from(t.VideoCall)) == 1
