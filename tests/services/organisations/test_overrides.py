"""A manual colour needs two officers: propose with a reason, another approves."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.domain.records import Department, ImportKind
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
from healthcode.services.records.batches import roll_back_batch
from healthcode.services.records.recolouring import recolour_batch
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories.inputs import id_number
from tests.factories.organisations import authorised_issuer
from tests.factories.roster import region_admin
from tests.factories.units import SameUnit
from tests.services.conftest import declare
from tests.services.organisations.conftest import race
from tests.services.organisations.review import Community, apply, community
from tests.services.records.helpers import colour_of, csv_bytes, green_resident, later, run_import
from tests.services.records.test_rollback import operator as records_operator

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
        decide_override(
            uow, env, second, override_id=proposal, approve=False, note="证据不足，体温读数不清楚"
        )
        policy = env.policies.find(POLICY)
        assert current_state(uow, env, resident_id=resident, policy=policy).colour is Colour.PENDING
        with pytest.raises(AlreadyDecided):
            decide_override(uow, env, second, override_id=proposal, approve=True)

    @pytest.mark.parametrize("note", ["", "证据不足", "\u200b" * 12])
    def test_a_rejection_says_why(self, uow: UnitOfWork, env: Env, note: str) -> None:
        """As a fraud case's rejected proposal does: the proposer reads why."""
        home = community(uow, env)
        resident = fevered(uow, env, home)
        second = authorised_issuer(uow, env, home.organisation.id)
        proposal = propose(uow, env, home.issuer, resident)
        with pytest.raises(InvalidInput) as refused:
            decide_override(uow, env, second, override_id=proposal, approve=False, note=note)
        assert [(e.field, e.code) for e in refused.value.errors] == [("note", "too_short")]
        row = uow.overrides.by_id(proposal)
        assert row is not None
        assert row.status == "proposed"

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

    def test_a_code_the_person_does_not_hold_is_not_given_by_an_override(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        """Two officers made a green code of a kind the person never declared for, and
        no finding of the rules ever ended it (seed 000 §一: a pass starts from the
        person's own declaration and pledge)."""
        home = community(uow, env)
        resident = fevered(uow, env, home)  # applied for a pass, holds no health code
        officer = region_admin(uow, env, home.organisation.region_code)
        with pytest.raises(InvalidInput) as refused:
            propose_override(
                uow, env, officer, resident_id=resident, policy_id="binzhou-code",
                colour=Colour.GREEN, reason=REASON,
            )  # fmt: skip
        assert [(e.field, e.code) for e in refused.value.errors] == [("policy", "no_code")]

    def test_a_health_code_is_the_regions_not_the_organisation_applied_to(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        """No organisation issues a Binzhou code: the officers of a company the person
        applied to for a pass paint their pass, never their health code."""
        home = community(uow, env)
        number = id_number()
        application = uow.declarations.by_id(apply(uow, env, home.organisation, number=number))
        assert application is not None
        assert application.resident_id is not None
        resident = application.resident_id
        account = uow.accounts.by_resident(resident)
        assert account is not None
        declare(uow, env, account, id_number=number, region=home.organisation.region_code)
        with pytest.raises(NotFound):
            propose_override(
                uow, env, home.issuer, resident_id=resident, policy_id="binzhou-code",
                colour=Colour.RED, reason=REASON,
            )  # fmt: skip
        officer = region_admin(uow, env, home.organisation.region_code)
        painted = propose_override(
            uow, env, officer, resident_id=resident, policy_id="binzhou-code",
            colour=Colour.RED, reason=REASON,
        )  # fmt: skip
        assert painted.policy.id == "binzhou-code"
        assert propose(uow, env, home.issuer, resident)  # the pass is still theirs

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
    note = "读数不清，需重拍后再提交"
    decide_override(uow, env, other, override_id=proposal, approve=False, note=note)
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


class TestTheRulesTakeBack:
    """An override paints until the rules' view first changes, and then never again."""

    CONTACT = ("source_id", "id_number", "start")

    def overridden(
        self, uow: UnitOfWork, env: Env, colour: Colour
    ) -> tuple[t.Account, str, uuid.UUID]:
        """A resident red from a close-contact record, painted ``colour`` by two
        officers: the account, its ID number and the record's batch."""
        account, number = green_resident(uow, env)
        contact = run_import(uow, env, csv_bytes([self.CONTACT, ("CC-1", number, "2020-02-22")]))
        assert colour_of(uow, account) is Colour.RED
        a, b = region_admin(uow, env, "371602"), region_admin(uow, env, "371602")
        assert account.resident_id is not None
        proposal = propose_override(
            uow, env, a, resident_id=account.resident_id, policy_id="binzhou-code",
            colour=colour, reason=REASON,
        )  # fmt: skip
        decide_override(uow, env, b, override_id=proposal.id, approve=True)
        assert colour_of(uow, account) is colour
        return account, number, contact.batch_id

    def test_the_record_it_was_decided_over_withdrawn_ends_it(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        """The record behind the red was rolled back: the rules say green, and the
        yellow the officers chose over that record no longer holds (it stayed yellow
        for good: the view at the approval was taken without the withdrawn record)."""
        account, _number, batch_id = self.overridden(uow, env, Colour.YELLOW)
        later(env)
        roll_back_batch(uow, env, records_operator(uow, env), batch_id=batch_id)
        recolour_batch(SameUnit(uow), env, batch_id=batch_id)  # type: ignore[arg-type]
        assert colour_of(uow, account) is Colour.GREEN

    def test_once_ended_it_does_not_come_back(self, uow: UnitOfWork, env: Env) -> None:
        """A trip out of the province ended a green override; the trip's record then
        rolled back made the rules' view what it was at the approval. The override
        came back, though the officers' decision had ended."""
        account, number, _batch = self.overridden(uow, env, Colour.GREEN)
        later(env)
        trip = [("source_id", "id_number", "region", "start", "end")]
        trip += [("T-1", number, "420100", "2020-02-18", "2020-02-19")]
        data = csv_bytes(trip)
        travel = run_import(uow, env, data, kind=ImportKind.TRAVEL, department=Department.CARRIER)
        assert colour_of(uow, account) is Colour.RED
        later(env)
        roll_back_batch(uow, env, records_operator(uow, env), batch_id=travel.batch_id)
        recolour_batch(SameUnit(uow), env, batch_id=travel.batch_id)  # type: ignore[arg-type]
        assert colour_of(uow, account) is Colour.RED
