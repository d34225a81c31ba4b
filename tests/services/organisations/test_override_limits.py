"""Where a manual colour stops (an outside probe, stop 43): a new signature ends it, a
suspended organisation's officers make none, and a pass's never outlives the pass."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from healthcode.domain.clock import TZ, FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.state import State
from healthcode.services.accounts.permissions import Principal
from healthcode.services.codes.recolour import current_state
from healthcode.services.organisations.applications import list_pending_applications
from healthcode.services.organisations.counter import CounterInput, enter_counter_application
from healthcode.services.organisations.overrides import (
    PassLapsed,
    decide_override,
    list_proposals,
    propose_override,
)
from healthcode.services.organisations.registry import OrganisationSuspended
from healthcode.services.organisations.signing import sign_pass
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import declaration_data, id_number
from tests.factories.organisations import authorised_issuer
from tests.factories.roster import region_admin, set_suspended
from tests.services.conftest import declare, new_account
from tests.services.organisations.review import Community, community

POLICY = "shandong-pass"
REASON = "复核后改为黄码，待补充体温记录"


def _state(uow: UnitOfWork, env: Env, resident_id: uuid.UUID) -> State:
    return current_state(uow, env, resident_id=resident_id, policy=env.policies.find(POLICY))


def _apply(uow: UnitOfWork, env: Env, account: t.Account, number: str, to: Community) -> uuid.UUID:
    state = declare(
        uow, env, account, POLICY, id_number=number, organisation_id=str(to.organisation.id)
    )
    assert state.awaiting_signature is not None
    return uuid.UUID(state.awaiting_signature)


def _override(
    uow: UnitOfWork,
    env: Env,
    home: Community,
    resident_id: uuid.UUID,
    colour: Colour,
    *,
    ends_at: datetime | None = None,
) -> uuid.UUID:
    """Proposed by the community's issuer, approved by its administrator."""
    proposal = propose_override(
        uow, env, home.issuer, resident_id=resident_id, policy_id=POLICY, colour=colour,
        reason=REASON, ends_at=ends_at,
    )  # fmt: skip
    second = authorised_issuer(uow, env, home.organisation.id)
    decide_override(uow, env, second, override_id=proposal.id, approve=True)
    return proposal.id


class TestANewSignatureEndsIt:
    """The view compared only the colour and the rule ids, and every signature gives
    SD-SIGNED: a new pass signed red showed the yellow chosen over the old one."""

    def test_signed_red_again_by_the_same_community(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        home, number = community(uow, env), id_number()
        account = new_account(uow, env, "13800002001")
        first = _apply(uow, env, account, number, home)
        signed = sign_pass(
            uow, env, home.issuer, application_id=first, colour=Colour.RED, note="发热"
        )
        assert account.resident_id is not None
        _override(uow, env, home, account.resident_id, Colour.YELLOW)
        assert _state(uow, env, account.resident_id).colour is Colour.YELLOW
        clock.advance(timedelta(hours=2))
        again = _apply(uow, env, account, number, home)
        assert _state(uow, env, account.resident_id).colour is Colour.YELLOW  # still the old pass
        clock.advance(timedelta(hours=1))

        signed = sign_pass(
            uow, env, home.issuer, application_id=again, colour=Colour.RED, note="发热"
        )

        assert signed.colour is Colour.RED
        assert "manual_override" not in signed.rule_ids
        assert _state(uow, env, account.resident_id).colour is Colour.RED

    def test_signed_green_by_another_community_and_at_a_counter(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        home, other, number = community(uow, env), community(uow, env), id_number()
        account = new_account(uow, env, "13800002002")
        first = _apply(uow, env, account, number, home)
        sign_pass(uow, env, home.issuer, application_id=first, colour=Colour.GREEN)
        assert account.resident_id is not None
        _override(uow, env, home, account.resident_id, Colour.YELLOW)
        clock.advance(timedelta(hours=2))
        again = _apply(uow, env, account, number, other)
        signed = sign_pass(uow, env, other.issuer, application_id=again, colour=Colour.GREEN)
        assert signed.colour is Colour.GREEN

        _override(uow, env, other, account.resident_id, Colour.YELLOW)
        assert _state(uow, env, account.resident_id).colour is Colour.YELLOW
        clock.advance(timedelta(hours=2))
        data = declaration_data(POLICY, id_number=number, id_card_checked=True)
        at_counter = enter_counter_application(
            uow, env, other.issuer, data=CounterInput.model_validate(data | {"colour": "green"})
        )
        assert at_counter.state.colour is Colour.GREEN


class TestASuspendedOrganisation:
    """Its queue, opening and signing were refused, but its officers still proposed and
    approved a colour, and a pending pass turned green with no signature."""

    def test_proposes_nothing(self, uow: UnitOfWork, env: Env) -> None:
        home, account = community(uow, env), new_account(uow, env, "13800002003")
        _apply(uow, env, account, id_number(), home)
        set_suspended(uow, env, home.organisation.id)
        assert account.resident_id is not None
        with pytest.raises(OrganisationSuspended) as refused:
            propose_override(
                uow, env, home.issuer, resident_id=account.resident_id, policy_id=POLICY,
                colour=Colour.GREEN, reason=REASON,
            )  # fmt: skip
        assert (refused.value.status, refused.value.code) == (409, "organisation_suspended")
        assert home.organisation.name in str(refused.value)

    def test_decides_nothing_while_the_region_still_does(self, uow: UnitOfWork, env: Env) -> None:
        home, account = community(uow, env), new_account(uow, env, "13800002004")
        _apply(uow, env, account, id_number(), home)
        assert account.resident_id is not None
        proposal = propose_override(
            uow, env, home.issuer, resident_id=account.resident_id, policy_id=POLICY,
            colour=Colour.GREEN, reason=REASON,
        )  # fmt: skip
        second: Principal = authorised_issuer(uow, env, home.organisation.id)
        set_suspended(uow, env, home.organisation.id)

        assert list_proposals(uow, env, second) == []
        with pytest.raises(OrganisationSuspended):
            decide_override(uow, env, second, override_id=proposal.id, approve=True)
        assert _state(uow, env, account.resident_id).colour is Colour.PENDING
        county = region_admin(uow, env, "371602")
        rejected = decide_override(
            uow, env, county, override_id=proposal.id, approve=False, note="本社区暂停期间不予调整"
        )
        assert rejected.status == "rejected"

        set_suspended(uow, env, home.organisation.id, False)
        assert propose_override(
            uow, env, home.issuer, resident_id=account.resident_id, policy_id=POLICY,
            colour=Colour.GREEN, reason=REASON,
        ).status == "proposed"  # fmt: skip


class TestAPassOverridesEnd:
    """A stated end was kept as given: an unsigned application stayed green until 2099,
    out of the queue, and could not be signed."""

    FAR = datetime(2099, 1, 1, tzinfo=TZ)

    def test_on_a_waiting_application_it_ends_with_a_signatures_validity_and_waits_to_be_signed(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        home, account = community(uow, env), new_account(uow, env, "13800002005")
        application = _apply(uow, env, account, id_number(), home)
        assert account.resident_id is not None
        override = _override(uow, env, home, account.resident_id, Colour.GREEN, ends_at=self.FAR)

        row = uow.overrides.by_id(override)
        assert row is not None
        assert row.ends_at == datetime(2020, 2, 29, tzinfo=TZ)  # 23 Feb, and 5 days after it
        painted = _state(uow, env, account.resident_id)
        assert painted.colour is Colour.GREEN
        assert painted.next_change is not None
        assert painted.next_change.at == row.ends_at
        assert painted.awaiting_signature == str(application)  # still in the queue
        _total, items = list_pending_applications(uow, env, home.issuer)
        assert [i.application_id for i in items] == [application]

        clock.advance(timedelta(minutes=10))
        signed = sign_pass(uow, env, home.issuer, application_id=application, colour=Colour.GREEN)
        assert (signed.colour, signed.valid_until) == (Colour.GREEN, row.ends_at)
        assert "manual_override" not in signed.rule_ids
        assert list_pending_applications(uow, env, home.issuer) == (0, [])

    def test_on_a_signed_pass_it_ends_with_the_pass(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        home, account = community(uow, env), new_account(uow, env, "13800002006")
        application = _apply(uow, env, account, id_number(), home)
        signed = sign_pass(uow, env, home.issuer, application_id=application, colour=Colour.GREEN)
        clock.advance(timedelta(days=2))
        assert account.resident_id is not None
        override = _override(uow, env, home, account.resident_id, Colour.YELLOW, ends_at=self.FAR)
        row = uow.overrides.by_id(override)
        assert row is not None
        assert row.ends_at == signed.valid_until

    def test_a_lapsed_pass_is_applied_for_again(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        home, account = community(uow, env), new_account(uow, env, "13800002007")
        application = _apply(uow, env, account, id_number(), home)
        signed = sign_pass(uow, env, home.issuer, application_id=application, colour=Colour.GREEN)
        assert signed.valid_until is not None
        clock.set(signed.valid_until + timedelta(hours=1))
        assert account.resident_id is not None
        with pytest.raises(PassLapsed) as refused:
            propose_override(
                uow, env, home.issuer, resident_id=account.resident_id, policy_id=POLICY,
                colour=Colour.GREEN, reason=REASON,
            )  # fmt: skip
        assert (refused.value.status, refused.value.code) == (409, "pass_lapsed")
