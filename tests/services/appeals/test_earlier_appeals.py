"""Appealing again after a rejection: the resident is shown, on the form, the earlier
appeal of the same record (or manual colour) with its outcome and the officer's
reason; the officer deciding the new one sees the earlier ones, with their dates.

Neither was shown: the resident was not reminded why the record stood, and the officer
decided the second appeal without knowing of the first."""

from __future__ import annotations

from datetime import timedelta

from healthcode.domain.clock import FixedClock
from healthcode.services.appeals.appeals import list_disputable, show_appeal, submit_appeal
from healthcode.services.appeals.decisions import decide_appeal, show_appeal_to_officer
from healthcode.services.appeals.results import EarlierAppeal
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.factories.appeals import POLICY, REASON, close_contact, health_officer, listed
from tests.factories.organisations import authorised_issuer
from tests.services.appeals.test_override_appeals import POLICY as PASS
from tests.services.appeals.test_override_appeals import painted
from tests.services.organisations.review import community

REJECT = "经核查该居民确在通报时段到过该场所，维持原记录"
AGAIN = "我有新的证据：当天的考勤记录显示我全天在公司，请再次核查"


def advance(env: Env, hours: int) -> None:
    assert isinstance(env.clock, FixedClock)
    env.clock.advance(timedelta(hours=hours))


class TestRecordAppealedAgain:
    def test_the_resident_is_shown_the_rejection_on_the_form(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        person = listed(uow, env)
        officer = health_officer(uow, env)
        first = submit_appeal(
            uow, env, resident_id=person.resident_id, policy_id=POLICY,
            record_id=person.record_id, reason=REASON,
        )  # fmt: skip
        advance(env, 5)
        decide_appeal(uow, env, officer, appeal_id=first.id, uphold=False, note=REJECT)
        [item] = list_disputable(uow, env, resident_id=person.resident_id, policy_id=POLICY)
        assert item.earlier == (
            EarlierAppeal(
                id=first.id,
                status="rejected",
                reason=REASON,
                submitted_at=first.submitted_at,
                decided_at=first.submitted_at + timedelta(hours=5),
                decision_note=REJECT,
            ),
        )

    def test_the_officer_sees_the_earlier_appeal_and_why_it_was_rejected(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        person = listed(uow, env)
        other_record = close_contact(uow, env, person.resident_id)  # not the one appealed
        officer = health_officer(uow, env)
        first = submit_appeal(
            uow, env, resident_id=person.resident_id, policy_id=POLICY,
            record_id=person.record_id, reason=REASON,
        )  # fmt: skip
        aside = submit_appeal(
            uow, env, resident_id=person.resident_id, policy_id=POLICY,
            record_id=other_record, reason=REASON,
        )  # fmt: skip
        decide_appeal(uow, env, officer, appeal_id=first.id, uphold=False, note=REJECT)
        decide_appeal(uow, env, officer, appeal_id=aside.id, uphold=False, note=REJECT)
        advance(env, 24)
        second = submit_appeal(
            uow, env, resident_id=person.resident_id, policy_id=POLICY,
            record_id=person.record_id, reason=AGAIN,
        )  # fmt: skip
        shown = show_appeal_to_officer(uow, env, officer, appeal_id=second.id)
        assert [(e.id, e.status, e.reason, e.decision_note) for e in shown.earlier] == [
            (first.id, "rejected", REASON, REJECT)
        ]
        assert shown.earlier[0].decided_at is not None
        # the first appeal came before any other: nothing earlier on its page
        assert show_appeal_to_officer(uow, env, officer, appeal_id=first.id).earlier == ()
        mine = show_appeal(uow, env, resident_id=person.resident_id, appeal_id=second.id)
        assert [e.id for e in mine.earlier] == [first.id]

    def test_another_officer_out_of_the_earlier_ones_scope_is_not_shown_it(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        """The resident moved: the earlier appeal was decided by another region's
        office, which this officer may not open."""
        person = listed(uow, env)
        first = submit_appeal(
            uow, env, resident_id=person.resident_id, policy_id=POLICY,
            record_id=person.record_id, reason=REASON,
        )  # fmt: skip
        decide_appeal(
            uow, env, health_officer(uow, env), appeal_id=first.id, uphold=False, note=REJECT
        )
        row = uow.appeals.by_id(first.id)
        assert row is not None
        row.region_code = "370102"  # decided in Jinan
        second = submit_appeal(
            uow, env, resident_id=person.resident_id, policy_id=POLICY,
            record_id=person.record_id, reason=AGAIN,
        )  # fmt: skip
        local = health_officer(uow, env, "dept:health/371602")
        assert show_appeal_to_officer(uow, env, local, appeal_id=second.id).earlier == ()


def test_a_manual_colour_appealed_again_shows_the_earlier_rejection(
    uow: UnitOfWork, env: Env
) -> None:
    home = community(uow, env)
    resident, override = painted(uow, env, home)
    first = submit_appeal(
        uow, env, resident_id=resident, policy_id=PASS, override_id=override, reason=REASON
    )
    third = authorised_issuer(uow, env, home.organisation.id)
    decide_appeal(uow, env, third, appeal_id=first.id, uphold=False, note=REJECT)
    [item] = [
        d
        for d in list_disputable(uow, env, resident_id=resident, policy_id=PASS)
        if d.subject == "override"
    ]
    assert [(e.id, e.status, e.decision_note) for e in item.earlier] == [
        (first.id, "rejected", REJECT)
    ]
    advance(env, 1)
    second = submit_appeal(
        uow, env, resident_id=resident, policy_id=PASS, override_id=override, reason=AGAIN
    )
    shown = show_appeal_to_officer(uow, env, third, appeal_id=second.id)
    assert [e.id for e in shown.earlier] == [first.id]
