"""An issuer signs a pass: never milder than the rules, stricter with a note, one signature."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput
from healthcode.domain.signing import MilderThanRules
from healthcode.services.organisations.signing import NotPending, sign_pass
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories.inputs import id_number
from tests.factories.organisations import authorised_issuer, issuer_for, sign_as_issuer
from tests.services.conftest import declare, new_account
from tests.services.organisations.conftest import race

DAY = timedelta(days=1)


class TestSigning:
    def test_milder_than_the_rules_is_refused(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        state = declare(uow, env, account, "shandong-pass", temperature=37.5)
        assert state.suggested is Colour.RED
        assert state.application_id
        with pytest.raises(MilderThanRules):
            sign_as_issuer(uow, env, uuid.UUID(state.application_id), Colour.GREEN)

    def test_stricter_needs_a_note_and_is_kept(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        state = declare(uow, env, account, "shandong-pass")
        assert state.application_id
        app_id = uuid.UUID(state.application_id)
        issuer = issuer_for(uow, env, app_id)
        with pytest.raises(InvalidInput):
            sign_as_issuer(uow, env, app_id, Colour.YELLOW, issuer=issuer)
        signed = sign_as_issuer(
            uow, env, app_id, Colour.YELLOW, "视频通话中未能测量体温", issuer=issuer
        )
        assert signed.colour is Colour.YELLOW
        with pytest.raises(NotPending) as again:
            sign_as_issuer(uow, env, app_id, Colour.GREEN, issuer=issuer)
        assert again.value.message == "This application was signed already, at {time}"

    def test_an_application_the_resident_replaced_names_the_newer_one(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, account: t.Account
    ) -> None:
        """The issuer was told only "not waiting for a signature", not that a newer
        application from the same resident waits in the queue."""
        number = id_number()
        first = declare(uow, env, account, "shandong-pass", id_number=number)
        assert first.application_id
        issuer = issuer_for(uow, env, uuid.UUID(first.application_id))
        clock.advance(timedelta(minutes=5))
        second = declare(uow, env, account, "shandong-pass", id_number=number, temperature=36.6)
        assert second.application_id not in (None, first.application_id)
        with pytest.raises(NotPending) as refused:
            sign_as_issuer(uow, env, uuid.UUID(first.application_id), Colour.GREEN, issuer=issuer)
        assert "applied again" in refused.value.message
        assert refused.value.params["newer"] == second.application_id


def test_two_issuers_cannot_both_sign(committed: sessionmaker[Session], env: Env) -> None:
    """The first issuer holds the application row; the second waits for it, then
    finds the application no longer pending."""
    units = UnitOfWorkFactory(committed)
    with units() as uow:
        account = new_account(uow, env, "13800001111")
        state = declare(uow, env, account, "shandong-pass")
        assert state.application_id is not None
        application = uuid.UUID(state.application_id)
        first_issuer = issuer_for(uow, env, application)
        routed = uow.declarations.by_id(application)
        assert routed is not None
        assert routed.organisation_id is not None
        second_issuer = authorised_issuer(uow, env, routed.organisation_id)
    outcome = race(
        units,
        lambda uow: sign_pass(
            uow, env, first_issuer, application_id=application, colour=Colour.GREEN
        ),
        lambda uow: sign_pass(
            uow,
            env,
            second_issuer,
            application_id=application,
            colour=Colour.RED,
            note="视频中发热",
        ),
        NotPending,
    )
    assert len(outcome) == 1
    assert isinstance(outcome[0], NotPending)
    with committed() as session:
        assert session.scalar(select(func.count()).select_from(t.Signature)) == 1
