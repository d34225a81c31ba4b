"""A manual colour needs two officers: propose with a reason, another approves."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.services.accounts.permissions import Principal
from healthcode.services.codes.health_codes import list_colour_changes
from healthcode.services.codes.recolour import current_state
from healthcode.services.organisations.overrides import (
    AlreadyDecided,
    AlreadyProposed,
    OwnProposal,
    decide_override,
    list_proposals,
    propose_override,
)
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories.organisations import authorised_issuer
from tests.services.organisations.conftest import race
from tests.services.organisations.review import Community, apply, community

REASON = "视频核实体温36.5℃，自述发热系测量有误"
POLICY = "shandong-pass"


def fevered(uow: UnitOfWork, env: Env, home: Community) -> uuid.UUID:
    """A resident whose application the rules make red: their id."""
    application = apply(uow, env, home.organisation, temperature=38.2)
    row = uow.declarations.by_id(application)
    assert row is not None
    assert row.resident_id is not None
    return row.resident_id


def propose(uow: UnitOfWork, env: Env, who: Principal, resident_id: uuid.UUID) -> uuid.UUID:
    proposal = propose_override(
        uow, env, who, resident_id=resident_id, policy_id=POLICY, colour=Colour.GREEN, reason=REASON
    )
    return proposal.id


class TestTwoOfficers:
    def test_a_second_officer_approves_and_the_resident_sees_why(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        home = community(uow, env)
        resident = fevered(uow, env, home)
        second = authorised_issuer(uow, env, home.organisation.id)
        proposal = propose(uow, env, home.issuer, resident)
        policy = env.policies.find(POLICY)
        assert current_state(uow, env, resident_id=resident, policy=policy).colour is Colour.PENDING
        assert [p.id for p in list_proposals(uow, env, second)] == [proposal]

        decided = decide_override(uow, env, second, override_id=proposal, approve=True)

        assert decided.status == "approved"
        state = current_state(uow, env, resident_id=resident, policy=policy)
        assert (state.colour, state.reasons[0].detail) == (Colour.GREEN, REASON)
        history = list_colour_changes(uow, env, resident_id=resident, policy_id=POLICY)
        [change] = [c for c in history if c.cause == "override"]
        assert (change.to_colour, change.note, change.rule_ids) == (
            "green",
            REASON,
            ("manual_override",),
        )
        actions = uow.session.scalars(
            select(t.AuditEvent.action).where(t.AuditEvent.resident_id == resident)
        ).all()
        assert {"override.proposed", "override.approved"} <= set(actions)
        assert list_proposals(uow, env, second) == []

    def test_the_proposer_cannot_approve_their_own(self, uow: UnitOfWork, env: Env) -> None:
        home = community(uow, env)
        resident = fevered(uow, env, home)
        proposal = propose(uow, env, home.issuer, resident)
        with pytest.raises(OwnProposal) as refused:
            decide_override(uow, env, home.issuer, override_id=proposal, approve=True)
        assert "second officer" in str(refused.value)
        row = uow.overrides.by_id(proposal)
        assert row is not None
        assert row.status == "proposed"

    def test_a_rejection_paints_nothing(self, uow: UnitOfWork, env: Env) -> None:
        home = community(uow, env)
        resident = fevered(uow, env, home)
        second = authorised_issuer(uow, env, home.organisation.id)
        proposal = propose(uow, env, home.issuer, resident)
        decide_override(uow, env, second, override_id=proposal, approve=False, note="证据不足")
        policy = env.policies.find(POLICY)
        assert current_state(uow, env, resident_id=resident, policy=policy).colour is Colour.PENDING
        with pytest.raises(AlreadyDecided):
            decide_override(uow, env, second, override_id=proposal, approve=True)

    def test_out_of_scope_is_not_found(self, uow: UnitOfWork, env: Env) -> None:
        home = community(uow, env)
        elsewhere = community(uow, env, region="370102")
        resident = fevered(uow, env, home)
        with pytest.raises(NotFound):
            propose(uow, env, elsewhere.issuer, resident)
        proposal = propose(uow, env, home.issuer, resident)
        with pytest.raises(NotFound):
            decide_override(uow, env, elsewhere.issuer, override_id=proposal, approve=True)
        assert list_proposals(uow, env, elsewhere.issuer) == []

    @pytest.mark.parametrize("reason", ["", "太短了", " " * 30])
    def test_a_reason_is_required(self, uow: UnitOfWork, env: Env, reason: str) -> None:
        home = community(uow, env)
        resident = fevered(uow, env, home)
        with pytest.raises(InvalidInput) as refused:
            propose_override(
                uow,
                env,
                home.issuer,
                resident_id=resident,
                policy_id=POLICY,
                colour=Colour.GREEN,
                reason=reason,
            )
        assert [e.field for e in refused.value.errors] == ["reason"]


def test_two_approvals_at_once_one_wins(committed: sessionmaker[Session], env: Env) -> None:
    units = UnitOfWorkFactory(committed)
    with units() as uow:
        home = community(uow, env)
        resident = fevered(uow, env, home)
        first = authorised_issuer(uow, env, home.organisation.id)
        second = authorised_issuer(uow, env, home.organisation.id)
        proposal = propose(uow, env, home.issuer, resident)
    outcome = race(
        units,
        lambda uow: decide_override(uow, env, first, override_id=proposal, approve=True),
        lambda uow: decide_override(uow, env, second, override_id=proposal, approve=True),
        AlreadyDecided,
    )
    assert len(outcome) == 1
    assert isinstance(outcome[0], AlreadyDecided)
    with committed() as session:
        changes = session.scalar(
            select(func.count())
            .select_from(t.ColourChange)
            .where(t.ColourChange.cause == "override")
        )
        assert changes == 1


def test_a_second_proposal_for_the_same_code_waits_for_the_first_decision(
    uow: UnitOfWork, env: Env
) -> None:
    """A double click made two proposals; both approved, an upheld appeal against one
    left the code painted by the other."""
    home = community(uow, env)
    resident = fevered(uow, env, home)
    proposal = propose(uow, env, home.issuer, resident)
    other = authorised_issuer(uow, env, home.organisation.id)
    with pytest.raises(AlreadyProposed):
        propose(uow, env, other, resident)
    decide_override(uow, env, other, override_id=proposal, approve=False, note="读数不清，需重拍")
    assert propose(uow, env, other, resident) != proposal  # decided: a new one may follow


def test_two_proposals_at_once_one_is_made(committed: sessionmaker[Session], env: Env) -> None:
    units = UnitOfWorkFactory(committed)
    with units() as uow:
        home = community(uow, env)
        resident = fevered(uow, env, home)
    outcome = race(
        units,
        lambda uow: propose(uow, env, home.issuer, resident),
        lambda uow: propose(uow, env, home.issuer, resident),
        AlreadyProposed,
    )
    assert [type(o) for o in outcome] == [AlreadyProposed]
    with committed() as session:
        count = select(func.count()).select_from(t.ColourOverride)
        assert session.scalar(count.where(t.ColourOverride.resident_id == resident)) == 1
