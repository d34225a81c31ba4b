"""Re-applying keeps a red or yellow pass until the new application is signed or the
pass lapses; the issuer queue lists the new application (issue 7, item 2)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from healthcode.domain.clock import FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.state import State
from healthcode.services.codes.recolour import current_state
from healthcode.services.organisations.applications import list_pending_applications
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.history import assert_history_chains
from tests.factories.inputs import id_number
from tests.factories.organisations import issuer_for, sign_as_issuer
from tests.services.conftest import declare

POLICY = "shandong-pass"


def sign(uow: UnitOfWork, env: Env, state: State, colour: Colour) -> State:
    assert state.awaiting_signature is not None
    application = uuid.UUID(state.awaiting_signature)
    return sign_as_issuer(uow, env, application, colour, "视频中咳嗽")


def the_code(uow: UnitOfWork) -> t.Code:
    return uow.session.scalars(select(t.Code)).one()


@pytest.mark.parametrize("signed", [Colour.RED, Colour.YELLOW])
def test_the_signed_colour_stands_while_the_new_application_waits(
    uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock, signed: Colour
) -> None:
    number = id_number()
    sign(uow, env, declare(uow, env, account, POLICY, id_number=number), signed)
    clock.advance(timedelta(hours=2))

    again = declare(uow, env, account, POLICY, id_number=number)

    assert (again.colour, again.suggested) == (signed, Colour.GREEN)
    assert again.under_review is not None
    code = the_code(uow)
    assert (code.colour, code.awaiting_id) == (signed.value, uuid.UUID(again.under_review))
    issuer = issuer_for(uow, env, uuid.UUID(again.under_review))  # of its community
    total, items = list_pending_applications(uow, env, issuer)
    assert (total, [str(i.application_id) for i in items]) == (1, [again.under_review])
    history = uow.codes.history(code.id)
    assert [(c.from_colour, c.to_colour) for c in history] == [
        ("pending", signed.value),  # and no signed -> pending on re-applying
        ("none", "pending"),
    ]
    assert_history_chains(history)

    green = sign(uow, env, again, Colour.GREEN)
    assert (green.colour, green.under_review) == (Colour.GREEN, None)
    assert list_pending_applications(uow, env, issuer)[0] == 0
    assert_history_chains(uow.codes.history(code.id))


def test_at_the_lapse_the_new_application_is_pending(
    uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
) -> None:
    number = id_number()
    sign(uow, env, declare(uow, env, account, POLICY, id_number=number), Colour.RED)
    clock.advance(timedelta(hours=2))
    again = declare(uow, env, account, POLICY, id_number=number)
    assert again.valid_until is not None
    assert account.resident_id is not None
    clock.set(again.valid_until + timedelta(minutes=5))  # the first look after midnight

    lapsed = current_state(
        uow, env, resident_id=account.resident_id, policy=env.policies.find(POLICY)
    )
    assert (lapsed.colour, lapsed.application_id) == (Colour.PENDING, again.under_review)
    latest = uow.codes.history(the_code(uow).id)[0]
    assert (latest.from_colour, latest.to_colour, latest.at) == (
        "red",
        "pending",
        again.valid_until,
    )
