"""Fraud cases on both databases: the three sources open cases (one per resident and
cause), two officers decide, a confirmed case turns the code red with a credit record
and tells the resident, a dismissed one changes nothing; scope and audit."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from healthcode.domain.clock import FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.domain.fraud import CaseDecided, Cause, Outcome, OwnProposal, Source, Status
from healthcode.domain.records import Department, ImportKind
from healthcode.services.accounts.permissions import Principal
from healthcode.services.codes.recolour import current_state
from healthcode.services.fraud import decisions
from healthcode.services.notices.texts import describe
from healthcode.services.scanning import releases, scans
from healthcode.services.scanning.venues import VenueSummary
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.organisations import organisation
from tests.factories.roster import employer_admin, region_admin
from tests.factories.scanning import display_token, operator, venue
from tests.services.conftest import declare, new_account
from tests.services.records.helpers import csv_bytes, run_import

REASON = "两处卡口相隔110公里，间隔4分钟，核实为他人冒用"
POLICY = "binzhou-code"


def later(env: Env, delta: timedelta) -> None:
    assert isinstance(env.clock, FixedClock)
    env.clock.advance(delta)


def far_venue(uow: UnitOfWork, env: Env) -> tuple[VenueSummary, Principal]:
    """A venue in Jinan (~110 km from the gate) and its operator."""
    jinan = organisation(uow, env, region="370102")
    boss = employer_admin(uow, env, jinan.id)
    far = venue(uow, env, boss, jinan.id, latitude=36.6512, longitude=117.1201)
    return far, operator(uow, env, boss, far.id)


def flagged_twice(
    uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, resident: uuid.UUID
) -> None:
    """The resident's code at the gate, then in Jinan 4 minutes later: a distance flag."""
    far, far_guard = far_venue(uow, env)
    scans.scan_code(uow, env, guard, venue_id=gate.id, token=display_token(uow, env, resident))
    later(env, timedelta(minutes=4))
    token = display_token(uow, env, resident)
    assert scans.scan_code(uow, env, far_guard, venue_id=far.id, token=token).flags


def officers(uow: UnitOfWork, env: Env) -> tuple[Principal, Principal]:
    return region_admin(uow, env, "371602"), region_admin(uow, env, "371602")


def colour(uow: UnitOfWork, env: Env, resident: uuid.UUID) -> Colour:
    return current_state(uow, env, resident_id=resident, policy=env.policies[POLICY]).colour


def actions(uow: UnitOfWork) -> list[str]:
    query = select(t.AuditEvent.action).where(t.AuditEvent.action.startswith("fraud."))
    return list(uow.session.scalars(query.order_by(t.AuditEvent.at)))


class TestSources:
    def test_a_gate_report_opens_a_case_in_the_residents_scope(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
    ) -> None:
        token = display_token(uow, env, green.resident_id)
        scan = scans.scan_code(uow, env, guard, venue_id=gate.id, token=token)
        opened = releases.report_not_the_holder(uow, env, guard, scan_id=scan.id)
        later(env, timedelta(minutes=1))  # the audit log is ordered by instant only
        a, _b = officers(uow, env)
        [case] = decisions.list_cases(uow, env, a)
        assert (case.id, case.source, case.cause) == (
            opened.id,
            Source.GATE_REPORT,
            Cause.NOT_THE_HOLDER,
        )
        shown = decisions.show_case(uow, env, a, case_id=case.id)
        assert [(e.kind, e.venue) for e in shown.evidence] == [("scan", "东门卡口")]
        assert actions(uow) == ["fraud.opened", "fraud.viewed"]

    @pytest.mark.parametrize("token", ["not a code at all", "HC1:6BFOXN*TS0BI$ZD.P9UOL97O4"])
    def test_an_unreadable_code_has_no_holder_to_report(
        self,
        uow: UnitOfWork,
        env: Env,
        guard: Principal,
        gate: VenueSummary,
        green: t.Account,  # a resident, and the keys codes are signed with
        token: str,
    ) -> None:
        """A code that could not be read names nobody: "not the holder" of nobody
        opened a case against no resident that could only be dismissed."""
        officers(uow, env)
        scan = scans.scan_code(uow, env, guard, venue_id=gate.id, token=token)
        assert not scan.has_resident
        with pytest.raises(releases.NoHolder) as refused:
            releases.report_not_the_holder(uow, env, guard, scan_id=scan.id)
        assert (refused.value.status, refused.value.code) == (409, "no_holder")
        assert uow.session.scalars(select(t.FraudCase)).all() == []
        told = select(t.Notification).where(t.Notification.kind == "fraud_waiting")
        assert uow.session.scalars(told).all() == []

    def test_the_officers_who_may_review_a_new_case_are_told_once(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
    ) -> None:
        a, b = officers(uow, env)
        region_admin(uow, env, "370102")  # another region's: not told
        token = display_token(uow, env, green.resident_id)
        scan = scans.scan_code(uow, env, guard, venue_id=gate.id, token=token)
        opened = releases.report_not_the_holder(uow, env, guard, scan_id=scan.id)
        releases.report_not_the_holder(uow, env, guard, scan_id=scan.id)  # the same case
        query = select(t.Notification.account_id, t.Notification.payload).where(
            t.Notification.kind == "fraud_waiting"
        )
        told = uow.session.execute(query).all()
        assert sorted(account for account, _ in told) == sorted([a.account_id, b.account_id])
        assert {payload["case"] for _, payload in told} == {str(opened.id)}

    def test_flags_open_one_case_per_resident_and_cause_and_later_scans_add_evidence(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
    ) -> None:
        assert green.resident_id is not None
        flagged_twice(uow, env, guard, gate, green.resident_id)
        later(env, timedelta(minutes=2))
        flagged_twice(uow, env, guard, gate, green.resident_id)
        a, _b = officers(uow, env)
        [case] = decisions.list_cases(uow, env, a)
        assert (case.source, case.cause, case.status) == (
            Source.DUPLICATE_TOKEN,
            Cause.DISTANT_VENUES,
            Status.OPEN,
        )
        shown = decisions.show_case(uow, env, a, case_id=case.id)
        assert len(shown.evidence) >= 2  # every flagged scan, in the one case
        assert {e.kind for e in shown.evidence} == {"scan"}

    def test_a_travel_record_against_a_declared_no_travel_opens_a_contradiction(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        resident = _declared_no_travel(uow, env)
        travel = [
            ["source_id", "id_number", "region", "start", "end"],
            ["T-1", resident[1], "320102", "2020-02-15", "2020-02-18"],
        ]
        data = csv_bytes(travel)
        run_import(uow, env, data, kind=ImportKind.TRAVEL, department=Department.CARRIER)
        run_import(uow, env, data, kind=ImportKind.TRAVEL, department=Department.CARRIER)
        a, _b = officers(uow, env)
        [case] = decisions.list_cases(uow, env, a, sources=[Source.CONTRADICTION])
        assert case.cause is Cause.UNDECLARED_TRAVEL
        shown = decisions.show_case(uow, env, a, case_id=case.id)
        assert sorted(e.kind for e in shown.evidence) == ["declaration", "record"]

    def test_a_declaration_arriving_after_the_record_is_checked_too(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        account, number = _declared_no_travel(uow, env)
        travel = [
            ["source_id", "id_number", "region", "end"],
            ["T-2", number, "110101", "2020-02-20"],  # Beijing, 3 days before
            ["T-3", number, "371602", "2020-02-20"],  # home county: not travel
        ]
        run_import(
            uow, env, csv_bytes(travel), kind=ImportKind.TRAVEL, department=Department.CARRIER
        )
        a, b = officers(uow, env)
        [first] = decisions.list_cases(uow, env, a)
        decisions.propose_decision(
            uow, env, a, case_id=first.id, outcome=Outcome.DISMISS, reason="已核实为出差，忘记申报"
        )
        decisions.decide_case(uow, env, b, case_id=first.id, approve=True)
        later(env, timedelta(days=1))
        declare(uow, env, account, id_number=number)  # no travel again, still in the window
        found = decisions.list_cases(uow, env, a)
        assert [c.status for c in found] == [Status.DISMISSED, Status.OPEN]
        trips = [{"region": "110000", "start": "2020-02-19", "end": "2020-02-20"}]
        later(env, timedelta(hours=1))
        declare(uow, env, account, id_number=number, trips=trips)  # declared now: no new case
        assert len(decisions.list_cases(uow, env, a)) == 2


def _declared_no_travel(uow: UnitOfWork, env: Env) -> tuple[t.Account, str]:
    from tests.factories.inputs import id_number

    number = id_number()
    account = new_account(uow, env, f"139{uuid.uuid4().int % 10**8:08d}")
    assert declare(uow, env, account, id_number=number).colour is Colour.GREEN
    return account, number


class TestTwoOfficers:
    @pytest.fixture
    def case(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
    ) -> uuid.UUID:
        assert green.resident_id is not None
        flagged_twice(uow, env, guard, gate, green.resident_id)
        [found] = decisions.list_cases(uow, env, region_admin(uow, env, "371602"))
        return found.id

    def test_confirmed_by_a_second_officer_the_code_turns_red_with_a_credit_record(
        self, uow: UnitOfWork, env: Env, case: uuid.UUID, green: t.Account
    ) -> None:
        assert green.resident_id is not None
        a, b = officers(uow, env)
        proposed = decisions.propose_decision(
            uow, env, a, case_id=case, outcome=Outcome.CONFIRM, reason=REASON
        )
        assert (proposed.status, proposed.mine) == (Status.PROPOSED, True)
        assert colour(uow, env, green.resident_id) is Colour.GREEN  # nothing yet
        with pytest.raises(OwnProposal):
            decisions.decide_case(uow, env, a, case_id=case, approve=True)
        done = decisions.decide_case(uow, env, b, case_id=case, approve=True)
        assert (done.status, done.credit_kind) == (Status.CONFIRMED, "another_persons_code")
        state = current_state(uow, env, resident_id=green.resident_id, policy=env.policies[POLICY])
        assert state.colour is Colour.RED
        assert state.reasons[0].rule_id == "BZ-RED-FRAUD"
        [credit] = uow.credit_records.of_resident(green.resident_id)
        assert (credit.case_id, credit.recorded_by) == (case, b.account_id)
        code = uow.codes.of_resident(green.resident_id, POLICY)
        assert code is not None
        [change, *_] = uow.codes.history(code.id)
        assert (change.cause, change.actor_id) == ("credit", b.account_id)
        assert change.note == REASON  # the officers' words; "fraud case <id>" was shown
        kinds = [n.kind for n in uow.notifications.of_resident(green.resident_id)]
        assert "fraud_confirmed" in kinds
        assert "colour_changed" in kinds
        [told] = [
            n for n in uow.notifications.of_resident(green.resident_id)
            if n.kind == "fraud_confirmed"
        ]  # fmt: skip
        # where the finding stands among the code's reasons, beside "appeal" (it led to /)
        assert describe(told.kind, told.payload, env.policies).link == f"/codes/{POLICY}#why"
        older = {"case": str(case), "kind": "another_persons_code"}  # stored with no code
        assert describe(told.kind, older, env.policies).link == "/appeals"
        assert actions(uow)[-2:] == ["fraud.proposed", "fraud.confirmed"]
        with pytest.raises(CaseDecided):
            decisions.decide_case(uow, env, b, case_id=case, approve=True)

    def test_dismissed_nothing_changes_and_a_new_flag_opens_a_new_case(
        self,
        uow: UnitOfWork,
        env: Env,
        case: uuid.UUID,
        green: t.Account,
        guard: Principal,
        gate: VenueSummary,
    ) -> None:
        assert green.resident_id is not None
        a, b = officers(uow, env)
        decisions.propose_decision(
            uow, env, a, case_id=case, outcome=Outcome.DISMISS, reason=REASON
        )
        assert decisions.decide_case(uow, env, b, case_id=case, approve=True).status is (
            Status.DISMISSED
        )
        assert colour(uow, env, green.resident_id) is Colour.GREEN
        assert uow.credit_records.of_resident(green.resident_id) == []
        later(env, timedelta(minutes=30))
        flagged_twice(uow, env, guard, gate, green.resident_id)
        assert len(decisions.list_cases(uow, env, a, statuses=[Status.OPEN])) == 1

    def test_a_rejected_proposal_reopens_the_case_and_needs_a_reason(
        self, uow: UnitOfWork, env: Env, case: uuid.UUID
    ) -> None:
        a, b = officers(uow, env)
        decisions.propose_decision(
            uow, env, a, case_id=case, outcome=Outcome.CONFIRM, reason=REASON
        )
        with pytest.raises(InvalidInput):
            decisions.decide_case(uow, env, b, case_id=case, approve=False, note="不同意")
        back = decisions.decide_case(
            uow, env, b, case_id=case, approve=False, note="证据不足，请补充两处扫码的视频"
        )
        assert (back.status, back.proposed_outcome) == (Status.OPEN, None)
        assert "fraud.proposal_rejected" in actions(uow)

    def test_an_officer_of_another_region_finds_no_case(
        self, uow: UnitOfWork, env: Env, case: uuid.UUID
    ) -> None:
        stranger = region_admin(uow, env, "370102")
        assert decisions.list_cases(uow, env, stranger) == []
        with pytest.raises(NotFound):
            decisions.show_case(uow, env, stranger, case_id=case)
        with pytest.raises(NotFound):
            decisions.propose_decision(
                uow, env, stranger, case_id=case, outcome=Outcome.CONFIRM, reason=REASON
            )
