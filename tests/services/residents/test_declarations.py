"""Declare → pledge → confirm → code, on both databases."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from healthcode.domain.clock import TZ, FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.i18n import set_language, translate
from healthcode.services.codes.recolour import current_state
from healthcode.services.residents.binding import IdNumberTaken
from healthcode.services.residents.declarations import (
    AlreadyConfirmed,
    ConfirmationExpired,
    PassStillValid,
    confirm_declaration,
    submit_declaration,
)
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import declaration, id_number
from tests.factories.organisations import sign_as_issuer
from tests.services.conftest import declare, new_account, report


def codes_of(uow: UnitOfWork) -> list[t.Code]:
    return list(uow.session.scalars(select(t.Code)))


class TestDeclare:
    def test_a_normal_declaration_gives_a_green_code_at_once(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        state = declare(uow, env, account)
        assert state.colour is Colour.GREEN
        [code] = codes_of(uow)
        assert code.colour == "green"
        [change] = uow.codes.history(code.id)
        assert (change.from_colour, change.to_colour, change.cause) == (
            "none",
            "green",
            "declaration",
        )

    def test_close_contact_is_red_with_that_reason(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        state = declare(uow, env, account, exposures=[{"kind": "close_contact"}])
        assert (state.colour, state.rule_ids) == (Colour.RED, ("BZ-RED-CLOSE-CONTACT",))
        [code] = codes_of(uow)
        [change] = uow.codes.history(code.id)
        assert change.rule_ids == ["BZ-RED-CLOSE-CONTACT"]
        [note] = uow.notifications.of_resident(code.resident_id)
        assert note.payload["to"] == "red"

    def test_the_code_waits_for_the_second_confirmation(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        submit_declaration(uow, env, account_id=account.id, data=declaration())
        assert codes_of(uow) == []

    def test_the_pledge_is_required(self, uow: UnitOfWork, env: Env, account: t.Account) -> None:
        with pytest.raises(InvalidInput) as caught:
            submit_declaration(uow, env, account_id=account.id, data=declaration(pledge=False))
        assert [(e.field, e.code) for e in caught.value.errors] == [("pledge", "pledge_required")]
        assert uow.session.scalar(select(func.count()).select_from(t.Declaration)) == 0

    def test_every_bad_field_is_reported_at_once(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        bad = declaration(
            id_number="370102199003071235",
            temperature=45.0,
            region="991234",
            trips=[{"region": "420102", "end": "2020-03-01"}],
        )
        with pytest.raises(InvalidInput) as caught:
            submit_declaration(uow, env, account_id=account.id, data=bad)
        assert {(e.field, e.code) for e in caught.value.errors} == {
            ("id_number", "check_char"),
            ("temperature", "out_of_range"),
            ("region", "region"),
            ("trips[0].end", "future_date"),
        }

    def test_fahrenheit_gets_a_hint(self, uow: UnitOfWork, env: Env, account: t.Account) -> None:
        with pytest.raises(InvalidInput) as caught:
            submit_declaration(uow, env, account_id=account.id, data=declaration(temperature=98.6))
        assert caught.value.errors[0].code == "fahrenheit"

    def test_a_pass_needs_its_extra_fields(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        data = declaration("shandong-pass", residence_since=None, destination=None, purpose=None)
        with pytest.raises(InvalidInput) as caught:
            submit_declaration(uow, env, account_id=account.id, data=data)
        assert {e.field for e in caught.value.errors} == {
            "residence_since",
            "destination",
            "purpose",
        }
        set_language("zh")  # the pass's own name in the reader's language, not in English
        assert {translate(e.message, e.params) for e in caught.value.errors} == {
            "申请山东省电子健康通行卡需要填写此项"
        }

    def test_symptoms_the_policy_does_not_ask_are_refused(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        with pytest.raises(InvalidInput) as caught:
            submit_declaration(
                uow, env, account_id=account.id, data=declaration(symptoms=["fatigue"])
            )
        assert caught.value.errors[0].field == "symptoms[0]"


class TestConfirmation:
    def test_twice_is_refused(self, uow: UnitOfWork, env: Env, account: t.Account) -> None:
        row = submit_declaration(uow, env, account_id=account.id, data=declaration()).declaration
        confirm_declaration(uow, env, account_id=account.id, declaration_id=row.id)
        with pytest.raises(AlreadyConfirmed):
            confirm_declaration(uow, env, account_id=account.id, declaration_id=row.id)

    def test_too_late_is_refused(
        self, uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
    ) -> None:
        row = submit_declaration(uow, env, account_id=account.id, data=declaration()).declaration
        clock.advance(timedelta(hours=1, seconds=1))
        with pytest.raises(ConfirmationExpired):
            confirm_declaration(uow, env, account_id=account.id, declaration_id=row.id)

    def test_another_residents_declaration_is_not_found(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        row = submit_declaration(uow, env, account_id=account.id, data=declaration()).declaration
        other = new_account(uow, env, "13900002222")
        submit_declaration(uow, env, account_id=other.id, data=declaration())
        with pytest.raises(NotFound):
            confirm_declaration(uow, env, account_id=other.id, declaration_id=row.id)


class TestIdentity:
    def test_one_id_number_one_account(self, uow: UnitOfWork, env: Env, account: t.Account) -> None:
        number = id_number()
        declare(uow, env, account, id_number=number)
        other = new_account(uow, env, "13900002222")
        row = submit_declaration(
            uow, env, account_id=other.id, data=declaration(id_number=number)
        ).declaration  # submitting binds nothing and tells nothing
        with pytest.raises(IdNumberTaken) as caught:
            confirm_declaration(uow, env, account_id=other.id, declaration_id=row.id)
        assert caught.value.params == {"phone": "138****1111"}  # where a claim code goes

    def test_an_account_keeps_its_id_number(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        declare(uow, env, account)
        with pytest.raises(InvalidInput) as caught:
            submit_declaration(
                uow, env, account_id=account.id, data=declaration(id_number=id_number())
            )
        assert caught.value.errors[0].code == "not_yours"

    def test_the_id_number_is_never_stored_in_plain_text(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        number = id_number()
        declare(uow, env, account, id_number=number)
        resident = uow.session.scalars(select(t.Resident)).one()
        assert number.encode() not in resident.id_cipher
        assert number not in repr(resident.__dict__)
        assert env.protector.decrypt(resident.id_cipher, context="id_number") == number.encode()
        assert resident.id_masked == number[:4] + "*" * 10 + number[-4:]


class TestPassApplication:
    def test_a_pass_is_pending_until_signed(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        state = declare(uow, env, account, "shandong-pass")
        assert (state.colour, state.suggested) == (Colour.PENDING, Colour.GREEN)

    def test_no_new_application_while_the_pass_is_green(
        self, uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
    ) -> None:
        number = id_number()
        state = declare(uow, env, account, "shandong-pass", id_number=number)
        assert state.application_id is not None
        signed = sign_as_issuer(uow, env, uuid.UUID(state.application_id), Colour.GREEN)
        assert signed.colour is Colour.GREEN
        clock.advance(timedelta(hours=1))
        with pytest.raises(PassStillValid) as refused:
            declare(uow, env, account, "shandong-pass", id_number=number)
        assert refused.value.params == {"until": "2020-02-29 00:00", "again": "2020-02-28 00:00"}

    def test_a_new_application_signed_in_the_passs_last_day_runs_on_without_a_gap(
        self, uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
    ) -> None:
        number = reported_pass(uow, env, account, clock, last_report=27)
        clock.set(datetime(2020, 2, 27, 23, 59, tzinfo=TZ))  # a day and a minute to go
        with pytest.raises(PassStillValid):
            declare(uow, env, account, "shandong-pass", id_number=number)
        clock.set(datetime(2020, 2, 28, 0, 1, tzinfo=TZ))
        again = declare(uow, env, account, "shandong-pass", id_number=number)
        assert again.under_review is not None
        clock.set(datetime(2020, 2, 28, 15, 0, tzinfo=TZ))
        signed = sign_as_issuer(uow, env, uuid.UUID(again.under_review), Colour.GREEN)
        assert (signed.colour, signed.valid_until) == (
            Colour.GREEN,
            datetime(2020, 3, 5, tzinfo=TZ),
        )

    def test_a_new_application_in_the_passs_last_day_waits_for_the_lapse(
        self, uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
    ) -> None:
        """The "ends soon" reminder asks the resident to apply again, and applying was
        refused until the pass had ended (found from outside)."""
        number = reported_pass(uow, env, account, clock, last_report=28)
        clock.set(datetime(2020, 2, 28, 9, 30, tzinfo=TZ))  # its last day
        again = declare(uow, env, account, "shandong-pass", id_number=number)
        assert again.colour is Colour.GREEN  # the signed pass holds while the new one waits
        assert again.under_review is not None
        clock.set(datetime(2020, 2, 29, 0, 0, 1, tzinfo=TZ))  # the old pass's lapse
        assert account.resident_id is not None
        after = current_state(
            uow, env, resident_id=account.resident_id, policy=env.policies.find("shandong-pass")
        )
        assert (after.colour, after.application_id) == (Colour.PENDING, again.under_review)
        signed = sign_as_issuer(uow, env, uuid.UUID(again.under_review), Colour.GREEN)
        assert signed.colour is Colour.GREEN  # first thing in the issuer's queue


def reported_pass(
    uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock, *, last_report: int
) -> str:
    """A green pass signed on 23 February 2020, reported every day from the 24th to
    ``last_report``; the holder's ID number."""
    number = id_number()
    state = declare(uow, env, account, "shandong-pass", id_number=number)
    assert state.application_id is not None
    sign_as_issuer(uow, env, uuid.UUID(state.application_id), Colour.GREEN)
    for day in range(24, last_report + 1):
        clock.set(datetime(2020, 2, day, 9, 0, tzinfo=TZ))
        report(uow, env, account, "shandong-pass")
    return number


def test_the_cached_state_is_used_until_it_can_change(
    uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
) -> None:
    state = declare(uow, env, account, temperature=37.8)
    [code] = codes_of(uow)
    assert code.recheck_at is not None
    clock.advance(timedelta(hours=2))
    policy = env.policies.find("binzhou-code")
    assert current_state(uow, env, resident_id=code.resident_id, policy=policy) == state
