"""A fraud finding appealed (申诉): the resident disputes the credit record behind their
red code; an officer who reviews fraud where the case was, and who took no part in
confirming it, upholds it; the credit record is revoked and the code green again.
The fraud rule's next step had sent residents to an appeal page that listed nothing."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from healthcode.domain.colour import Colour
from healthcode.domain.errors import NotFound
from healthcode.domain.fraud import Outcome
from healthcode.services.accounts.permissions import Principal
from healthcode.services.appeals.appeals import AlreadyAppealed, list_disputable, submit_appeal
from healthcode.services.appeals.decisions import OwnDecision, decide_appeal, list_waiting_appeals
from healthcode.services.fraud import decisions
from healthcode.services.scanning.venues import VenueSummary
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.appeals import REASON
from tests.factories.roster import region_admin
from tests.services.fraud.test_fraud_cases import POLICY, colour, flagged_twice, officers
from tests.services.fraud.test_fraud_cases import REASON as FINDING
from tests.services.records.helpers import green_resident

NOTE = "复核两处卡口录像，第二次扫码者并非本人冒用，系设备时钟错误，撤销认定"


def confirmed(
    uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, resident: uuid.UUID
) -> tuple[Principal, Principal, t.CreditRecord]:
    """A distance flag confirmed by two officers: (proposer, approver, credit record)."""
    flagged_twice(uow, env, guard, gate, resident)
    a, b = officers(uow, env)
    [case] = decisions.list_cases(uow, env, a)
    decisions.propose_decision(
        uow, env, a, case_id=case.id, outcome=Outcome.CONFIRM, reason=FINDING
    )
    decisions.decide_case(uow, env, b, case_id=case.id, approve=True)
    [credit] = uow.credit_records.of_resident(resident)
    return a, b, credit


@pytest.fixture
def finding(
    uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
) -> tuple[uuid.UUID, Principal, Principal, t.CreditRecord]:
    """The green resident, and a finding confirmed against them: (resident, proposer,
    approver, credit record)."""
    assert green.resident_id is not None
    return (green.resident_id, *confirmed(uow, env, guard, gate, green.resident_id))


def test_an_upheld_appeal_revokes_the_finding_and_the_code_is_green_again(
    uow: UnitOfWork, env: Env, finding: tuple[uuid.UUID, Principal, Principal, t.CreditRecord]
) -> None:
    resident, a, b, credit = finding
    assert colour(uow, env, resident) is Colour.RED
    [item] = list_disputable(uow, env, resident_id=resident, policy_id=POLICY)
    assert (item.subject, item.id, item.kind, item.behind_colour) == (
        "credit", credit.id, "another_persons_code", True
    )  # fmt: skip
    third = region_admin(uow, env, "371602")
    appeal = submit_appeal(
        uow, env, resident_id=resident, policy_id=POLICY, credit_record_id=credit.id, reason=REASON
    )
    assert (appeal.subject, appeal.colour_before) == ("credit", Colour.RED)
    told = select(t.Notification.account_id).where(t.Notification.kind == "appeal_waiting")
    assert set(uow.session.scalars(told)) == {third.account_id}  # not a, b: they took part
    with pytest.raises(AlreadyAppealed):
        submit_appeal(
            uow, env, resident_id=resident, policy_id=POLICY, credit_record_id=credit.id,
            reason=REASON,
        )  # fmt: skip
    assert item.source == "滨城区"  # the region that confirmed it, by name (not "371602")
    for took_part in (a, b):  # neither officer who confirmed it reviews the appeal
        assert list_waiting_appeals(uow, env, took_part) == []  # nor finds it queued
        with pytest.raises(OwnDecision):
            decide_appeal(uow, env, took_part, appeal_id=appeal.id, uphold=True, note=NOTE)
    elsewhere = region_admin(uow, env, "370102")
    assert list_waiting_appeals(uow, env, elsewhere) == []
    with pytest.raises(NotFound):
        decide_appeal(uow, env, elsewhere, appeal_id=appeal.id, uphold=True, note=NOTE)

    assert [w.id for w in list_waiting_appeals(uow, env, third)] == [appeal.id]
    decided = decide_appeal(uow, env, third, appeal_id=appeal.id, uphold=True, note=NOTE)

    assert decided.status == "upheld"
    assert [s.step for s in decided.steps][-1] == "restored"
    assert decided.steps[-1].colour is Colour.GREEN
    assert colour(uow, env, resident) is Colour.GREEN
    uow.session.refresh(credit)
    assert credit.revoked_at is not None
    assert list_disputable(uow, env, resident_id=resident, policy_id=POLICY) == []


def test_a_rejected_appeal_leaves_the_finding_and_another_residents_is_not_found(
    uow: UnitOfWork, env: Env, finding: tuple[uuid.UUID, Principal, Principal, t.CreditRecord]
) -> None:
    resident, _, _, credit = finding
    stranger, _ = green_resident(uow, env)
    assert stranger.resident_id is not None
    with pytest.raises(NotFound):
        submit_appeal(
            uow, env, resident_id=stranger.resident_id, policy_id=POLICY,
            credit_record_id=credit.id, reason=REASON,
        )  # fmt: skip
    appeal = submit_appeal(
        uow, env, resident_id=resident, policy_id=POLICY, credit_record_id=credit.id, reason=REASON
    )
    other = region_admin(uow, env, "371602")
    decide_appeal(uow, env, other, appeal_id=appeal.id, uphold=False, note=NOTE)
    assert colour(uow, env, resident) is Colour.RED
    uow.session.refresh(credit)
    assert credit.revoked_at is None
