"""Codes for dependants (代领 / 亲友码): an applicant declares for a child or a parent,
who gets a record and a colour of their own; the limits each have their own reason."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from healthcode.domain.clock import FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.services.codes.health_codes import display_code, read_code_state
from healthcode.services.residents.declarations import (
    claim_id_number,
    confirm_declaration,
    request_id_claim_code,
    submit_declaration,
)
from healthcode.services.residents.dependants import (
    WAITING_LIMIT,
    DependantHasAccount,
    HeldByAnotherGuardian,
    Relationship,
    TooManyDependants,
    dependant_of,
    list_dependants,
    remove_dependant,
)
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import declaration, id_number
from tests.services.conftest import declare, new_account

CHILD_BORN = date(2015, 6, 1)


def for_dependant(
    uow: UnitOfWork,
    env: Env,
    account: t.Account,
    number: str,
    relationship: Relationship = Relationship.CHILD,
    **fields: Any,
) -> uuid.UUID:
    """Declare and confirm for a dependant; the dependant's resident id."""
    data = declaration(id_number=number, **({"name": "张小明"} | fields))
    row = submit_declaration(
        uow, env, account_id=account.id, data=data, relationship=relationship
    ).declaration
    state = confirm_declaration(uow, env, account_id=account.id, declaration_id=row.id)
    assert state.colour is not Colour.NONE
    bound = uow.declarations.by_id(row.id)
    assert bound is not None
    assert bound.resident_id is not None
    return bound.resident_id


class TestAddingADependant:
    @pytest.mark.usefixtures("signing_key")
    def test_the_child_gets_a_record_and_a_colour_of_their_own(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        declare(uow, env, account)  # the parent: green
        mine = account.resident_id
        child = for_dependant(
            uow, env, account, id_number(CHILD_BORN), temperature=38.2
        )  # a fever: yellow under binzhou-code
        assert account.resident_id == mine  # the account's own number stays its own
        assert child != mine
        own = read_code_state(uow, env, resident_id=mine, policy_id="binzhou-code")
        theirs = read_code_state(uow, env, resident_id=child, policy_id="binzhou-code")
        assert (own.colour, theirs.colour) == (Colour.GREEN, Colour.YELLOW)
        [listed] = list_dependants(uow, account_id=account.id)
        assert listed.relationship is Relationship.CHILD
        assert listed.name_masked == "张**"
        code = display_code(uow, env, resident_id=child, policy_id="binzhou-code")
        assert code.claims.masked_name == "张**"
        actions = [e.action for e in uow.session.query(t.AuditEvent).all()]
        assert "dependant.added" in actions

    def test_an_elderly_parent_without_the_applicant_declaring(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        parent = for_dependant(uow, env, account, id_number(date(1940, 1, 1)), Relationship.PARENT)
        assert account.resident_id is None  # an account may hold only dependants' codes
        assert dependant_of(uow, account_id=account.id, resident_id=parent).relationship == (
            Relationship.PARENT
        )

    def test_another_account_cannot_reach_the_dependant(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        child = for_dependant(uow, env, account, id_number(CHILD_BORN))
        stranger = new_account(uow, env, "13700004444")
        with pytest.raises(NotFound):
            dependant_of(uow, account_id=stranger.id, resident_id=child)

    def test_two_children_declared_before_either_is_confirmed(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        """Each keeps their own waiting declaration; a second one for the same child
        replaces theirs (a typo corrected). Before, the second child's replaced the
        first's, whose confirmation was then "no such declaration"."""

        def submit(number: str, name: str) -> uuid.UUID:
            data = declaration(id_number=number, name=name)
            return submit_declaration(
                uow, env, account_id=account.id, data=data, relationship=Relationship.CHILD
            ).declaration.id

        first, second = id_number(CHILD_BORN), id_number(date(2017, 3, 1))
        typo = submit(first, "张小明")
        elder = submit(first, "张晓明")  # corrected
        younger = submit(second, "张小红")
        assert uow.declarations.by_id(typo) is None
        for row in (elder, younger):
            state = confirm_declaration(uow, env, account_id=account.id, declaration_id=row)
            assert state.colour is Colour.GREEN
        names = sorted(d.name_masked for d in list_dependants(uow, account_id=account.id))
        assert names == ["张**", "张**"]
        assert len({d.resident_id for d in list_dependants(uow, account_id=account.id)}) == 2


class TestRefusals:
    def submit(self, uow: UnitOfWork, env: Env, account: t.Account, number: str) -> uuid.UUID:
        data = declaration(id_number=number)
        return submit_declaration(
            uow, env, account_id=account.id, data=data, relationship=Relationship.CHILD
        ).declaration.id

    def test_ones_own_number(self, uow: UnitOfWork, env: Env, account: t.Account) -> None:
        number = id_number()
        declare(uow, env, account, id_number=number)
        with pytest.raises(InvalidInput) as caught:
            self.submit(uow, env, account, number)
        assert caught.value.errors[0].code == "own_number"

    def test_a_number_bound_to_an_account(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        adult = new_account(uow, env, "13700004444")
        number = id_number()
        declare(uow, env, adult, id_number=number)
        with pytest.raises(DependantHasAccount):
            self.submit(uow, env, account, number)

    def test_a_number_another_guardian_holds(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        number = id_number(CHILD_BORN)
        for_dependant(uow, env, account, number)
        other_parent = new_account(uow, env, "13700004444")
        with pytest.raises(HeldByAnotherGuardian):
            self.submit(uow, env, other_parent, number)
        # The same guardian declares again for the same child: allowed.
        assert for_dependant(uow, env, account, number)

    def test_at_most_the_configured_number(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        env.settings.max_dependants = 2
        for _ in range(2):
            for_dependant(uow, env, account, id_number(CHILD_BORN))
        with pytest.raises(TooManyDependants) as caught:
            self.submit(uow, env, account, id_number(CHILD_BORN))
        assert caught.value.params == {"max": 2}

    def test_waiting_declarations_do_not_count_in_the_limit(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        """Stop 43, an outside probe: a new guardian's five mistyped numbers, waiting,
        refused the sixth and seventh with none confirmed. The limit counts those held."""
        env.settings.max_dependants = 2
        for born in range(2010, 2015):  # five typos, never confirmed
            self.submit(uow, env, account, id_number(date(born, 1, 1)))
        sixth = self.submit(uow, env, account, id_number(date(2016, 1, 1)))
        seventh = self.submit(uow, env, account, id_number(date(2017, 1, 1)))
        for row in (sixth, seventh):
            confirm_declaration(uow, env, account_id=account.id, declaration_id=row)
        assert len(list_dependants(uow, account_id=account.id)) == 2
        with pytest.raises(TooManyDependants):  # now two are held
            self.submit(uow, env, account, id_number(date(2018, 5, 1)))

    def test_a_full_account_confirming_another_is_refused(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        env.settings.max_dependants = 1
        first = self.submit(uow, env, account, id_number(CHILD_BORN))
        second = self.submit(uow, env, account, id_number(date(2017, 3, 1)))
        confirm_declaration(uow, env, account_id=account.id, declaration_id=first)
        with pytest.raises(TooManyDependants):
            confirm_declaration(uow, env, account_id=account.id, declaration_id=second)

    def test_waiting_declarations_are_bounded_the_oldest_gives_way(
        self, uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
    ) -> None:
        """Sixty declarations for sixty people could wait unconfirmed (an earlier probe):
        at most ``WAITING_LIMIT`` wait for other family members; a new one replaces
        the oldest, and never refuses the guardian."""
        numbers = [id_number(date(1950 + i, 1, 1)) for i in range(WAITING_LIMIT + 1)]
        made = []
        for number in numbers:
            made.append(self.submit(uow, env, account, number))
            clock.advance(timedelta(seconds=1))
        waiting = uow.declarations.unconfirmed(account.id, "binzhou-code", for_dependant=True)
        assert len(waiting) == WAITING_LIMIT
        assert uow.declarations.by_id(made[0]) is None  # the oldest gave way
        assert {w[0] for w in waiting} == set(made[1:])
        again = self.submit(uow, env, account, numbers[5])  # correcting one: no new member
        assert uow.declarations.by_id(made[1]) is not None
        assert uow.declarations.by_id(made[5]) is None
        assert again != made[5]


class TestRemoval:
    """Stop 43, an outside probe: no link could end (``DELETE`` was 404, no page offered
    it), so a guardian at the limit could never make room."""

    @pytest.mark.usefixtures("signing_key")
    def test_the_link_ends_and_the_persons_record_stays(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        env.settings.max_dependants = 1
        number = id_number(CHILD_BORN)
        child = for_dependant(uow, env, account, number)
        remove_dependant(uow, env, account_id=account.id, resident_id=child, client="c")
        assert list_dependants(uow, account_id=account.id) == []
        with pytest.raises(NotFound):
            dependant_of(uow, account_id=account.id, resident_id=child)
        assert uow.residents.by_id(child) is not None  # their record, colour and codes stay
        state = read_code_state(uow, env, resident_id=child, policy_id="binzhou-code")
        assert state.colour is Colour.GREEN
        [event] = uow.session.query(t.AuditEvent).filter_by(action="dependant.removed").all()
        assert (event.actor_id, event.resident_id) == (account.id, child)
        with pytest.raises(NotFound):  # once
            remove_dependant(uow, env, account_id=account.id, resident_id=child)
        # room again: another child, or the same one added back (the same record)
        assert for_dependant(uow, env, account, number) == child

    def test_a_record_left_unheld_keeps_its_name(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        """Stop 44, an outside probe: a child removed by one guardian was declared
        again, by anyone, under any name, and the record (history, colour, appeals)
        was renamed. Under their own name they are added back as before."""
        number = id_number(CHILD_BORN)
        child = for_dependant(uow, env, account, number)
        remove_dependant(uow, env, account_id=account.id, resident_id=child, client="c")
        for guardian in (account, new_account(uow, env, "13700005555")):
            with pytest.raises(InvalidInput) as refused:
                for_dependant(uow, env, guardian, number, name="李四")
            assert [(e.field, e.code) for e in refused.value.errors] == [("name", "name_mismatch")]
            assert list_dependants(uow, account_id=guardian.id) == []
        resident = uow.residents.by_id(child)
        assert resident is not None
        assert resident.name == "张小明"
        assert for_dependant(uow, env, account, number) == child

    def test_another_accounts_family_member_is_not_found(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        child = for_dependant(uow, env, account, id_number(CHILD_BORN))
        stranger = new_account(uow, env, "13700004444")
        with pytest.raises(NotFound):
            remove_dependant(uow, env, account_id=stranger.id, resident_id=child)
        assert [d.resident_id for d in list_dependants(uow, account_id=account.id)] == [child]
        with pytest.raises(NotFound):  # anyone's own record: no link to end
            remove_dependant(uow, env, account_id=account.id, resident_id=uuid.uuid4())


def test_the_dependant_takes_the_number_over_with_a_code_to_the_guardian(
    uow: UnitOfWork, env: Env, account: t.Account
) -> None:
    """Grown up, with a phone of their own: the code goes to the guardian's phone, and
    the move ends the guardian's link; the record (and its history) stays the same."""
    sent: dict[str, str] = {}
    env.otp_sender = type("Sms", (), {"send": lambda _s, phone, code: sent.update({phone: code})})()
    number = id_number(date(2008, 1, 1))
    child = for_dependant(uow, env, account, number)
    own = new_account(uow, env, "13700004444")
    row = submit_declaration(
        uow, env, account_id=own.id, data=declaration(id_number=number)
    ).declaration
    request_id_claim_code(uow, env, account_id=own.id, declaration_id=row.id, client="c")
    uow.commit()
    claim_id_number(
        uow, env, account_id=own.id, declaration_id=row.id, code=sent["13800001111"], client="c"
    )
    confirm_declaration(uow, env, account_id=own.id, declaration_id=row.id)
    assert own.resident_id == child
    assert list_dependants(uow, account_id=account.id) == []
    actions = [e.action for e in uow.session.query(t.AuditEvent).all()]
    assert "dependant.taken_over" in actions
