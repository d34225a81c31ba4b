"""An issuer sees nothing of another organisation's beside an application: not the id
of the application the resident sent elsewhere since, not its colour, its issuer's
note or its officers' reason (an outside probe, stop 43)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from healthcode.domain.clock import FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.signing import InfoNeeded
from healthcode.domain.state import State
from healthcode.services.organisations.applications import (
    list_pending_applications,
    open_application,
)
from healthcode.services.organisations.overrides import decide_override, propose_override
from healthcode.services.organisations.signing import sign_pass
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import id_number
from tests.factories.organisations import authorised_issuer
from tests.services.conftest import declare, new_account
from tests.services.organisations.review import Community, community

POLICY = "shandong-pass"
NOTE = "视频核实，体温36.6℃"
REASON = "渤海七路社区复核：暂定黄码待查"


def _apply(uow: UnitOfWork, env: Env, account: t.Account, number: str, to: Community) -> uuid.UUID:
    state = declare(
        uow, env, account, POLICY, id_number=number, organisation_id=str(to.organisation.id)
    )
    assert state.awaiting_signature is not None
    return uuid.UUID(state.awaiting_signature)


def _ids(state: State) -> set[str]:
    """Every application or fact id the state names."""
    named = {state.application_id, state.under_review}
    return {i for i in named if i} | {e.id for r in state.reasons for e in r.evidence}


class Moved:
    """A pass signed yellow by one community (more information needed); the resident
    has applied to another since."""

    def __init__(self, uow: UnitOfWork, env: Env, clock: FixedClock) -> None:
        self.home, self.other = community(uow, env), community(uow, env)
        number = id_number()
        self.account = new_account(uow, env, "13800003001")
        self.first = _apply(uow, env, self.account, number, self.home)
        sign_pass(
            uow, env, self.home.issuer, application_id=self.first, colour=Colour.YELLOW,
            note=NOTE, requested=[InfoNeeded.TEMPERATURE],
        )  # fmt: skip
        clock.advance(timedelta(hours=3))
        self.again = _apply(uow, env, self.account, number, self.other)
        assert self.account.resident_id is not None
        self.resident = self.account.resident_id


class TestAnotherOrganisationsApplication:
    def test_waiting_elsewhere_it_is_not_named_beside_the_signed_pass(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        moved = Moved(uow, env, clock)
        seen = open_application(uow, env, moved.home.issuer, application_id=moved.first).item.state
        assert (seen.colour, seen.application_id) == (Colour.YELLOW, str(moved.first))
        assert (seen.under_review, seen.suggested) == (None, None)
        assert str(moved.again) not in _ids(seen)

    def test_the_other_organisation_sees_its_application_waiting_not_the_signed_pass(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        moved = Moved(uow, env, clock)
        [item] = list_pending_applications(uow, env, moved.other.issuer)[1]
        opened = open_application(uow, env, moved.other.issuer, application_id=moved.again)
        for seen in (item.state, opened.item.state):
            assert (seen.colour, seen.application_id) == (Colour.PENDING, str(moved.again))
            assert seen.awaiting_signature == str(moved.again)
            assert seen.suggested is Colour.GREEN
            assert seen.valid_until is None
            assert "SD-SIGNED" not in seen.rule_ids
            assert str(moved.first) not in _ids(seen)

    def test_signed_and_painted_elsewhere_the_old_application_shows_no_colour(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        moved = Moved(uow, env, clock)
        sign_pass(
            uow, env, moved.other.issuer, application_id=moved.again, colour=Colour.RED, note=NOTE
        )
        proposal = propose_override(
            uow, env, moved.other.issuer, resident_id=moved.resident, policy_id=POLICY,
            colour=Colour.YELLOW, reason=REASON,
        )  # fmt: skip
        second = authorised_issuer(uow, env, moved.other.organisation.id)
        decide_override(uow, env, second, override_id=proposal.id, approve=True)

        opened = open_application(uow, env, moved.home.issuer, application_id=moved.first)
        seen = opened.item.state
        assert (seen.colour, seen.application_id, seen.under_review) == (Colour.NONE, None, None)
        assert (seen.reasons, opened.item.findings, opened.item.temperature_today) == ((), (), None)
        theirs = open_application(uow, env, moved.other.issuer, application_id=moved.again)
        assert theirs.item.state.colour is Colour.YELLOW  # their own: all of it
        assert theirs.item.state.reasons[0].detail == REASON

    def test_a_colour_painted_by_the_other_organisation_shows_without_its_reason(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        moved = Moved(uow, env, clock)
        proposal = propose_override(
            uow, env, moved.other.issuer, resident_id=moved.resident, policy_id=POLICY,
            colour=Colour.RED, reason=REASON,
        )  # fmt: skip
        second = authorised_issuer(uow, env, moved.other.organisation.id)
        decide_override(uow, env, second, override_id=proposal.id, approve=True)

        seen = open_application(uow, env, moved.home.issuer, application_id=moved.first).item.state
        assert seen.colour is Colour.RED  # the pass this community signed, painted
        [painted] = [r for r in seen.reasons if r.rule_id == "manual_override"]
        assert (painted.detail, painted.evidence) == ("", ())
        assert str(proposal.id) not in _ids(seen)
