"""An appeal nobody in scope may decide: whoever can still decide it, or arrange for
someone to, is told; the appeal is accepted and waits all the same."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from healthcode.domain.colour import Colour
from healthcode.services.accounts.permissions import Role
from healthcode.services.appeals.appeals import show_appeal, submit_appeal
from healthcode.services.appeals.decisions import list_waiting_appeals
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.appeals import POLICY, REASON, health_officer, listed, officer
from tests.factories.roster import region_admin
from tests.services.appeals.test_override_appeals import painted
from tests.services.organisations.review import community


def told(uow: UnitOfWork, kind: str) -> set[uuid.UUID]:
    query = select(t.Notification.account_id).where(t.Notification.kind == kind)
    return {a for a in uow.session.scalars(query) if a is not None}


def appeal_record(uow: UnitOfWork, env: Env) -> uuid.UUID:
    person = listed(uow, env)
    made = submit_appeal(
        uow, env, resident_id=person.resident_id, policy_id=POLICY,
        record_id=person.record_id, reason=REASON,
    )  # fmt: skip
    return made.id


def person_of(uow: UnitOfWork, appeal_id: uuid.UUID) -> uuid.UUID:
    row = uow.appeals.by_id(appeal_id)
    assert row is not None
    return row.resident_id


def stepped(uow: UnitOfWork) -> list[str]:
    """The steps the resident was notified of, in order."""
    query = select(t.Notification).where(t.Notification.kind == "appeal_step")
    return [n.payload["step"] for n in uow.session.scalars(query.order_by(t.Notification.at))]


class TestADepartmentWithNoOfficer:
    def test_the_deployments_administrators_are_told_and_the_appeal_waits(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        """Only they can give a department's data operator a scope (``dept:``)."""
        root = officer(uow, env, "root.admin", (Role.ADMIN, ""))
        county = region_admin(uow, env, "371602")
        police = officer(uow, env, "police", (Role.DATA_OPERATOR, "dept:police"))

        appeal_id = appeal_record(uow, env)

        assert told(uow, "appeal_waiting") == set()
        assert told(uow, "appeal_unassigned") == {root.account_id}
        assert county.account_id not in told(uow, "appeal_unassigned")
        assert police.account_id not in told(uow, "appeal_unassigned")
        [row] = uow.session.scalars(
            select(t.Notification).where(t.Notification.kind == "appeal_unassigned")
        ).all()
        assert row.payload["appeal"] == str(appeal_id)
        assert row.payload["department"] == "health"
        actions = uow.session.scalars(
            select(t.AuditEvent.action).where(t.AuditEvent.action == "appeal.unassigned")
        ).all()
        assert actions == ["appeal.unassigned"]
        # the resident is not told it went to anyone: it waits for someone to be appointed
        mine = show_appeal(uow, env, resident_id=person_of(uow, appeal_id), appeal_id=appeal_id)
        assert [(s.step, s.note) for s in mine.steps] == [
            ("submitted", ""),
            ("unassigned", "health"),
        ]
        assert stepped(uow) == ["unassigned"]
        # an officer given the scope later finds it waiting
        assert [a.id for a in list_waiting_appeals(uow, env, health_officer(uow, env))] == [
            appeal_id
        ]

    def test_with_no_deployment_administrator_the_regions_are_told(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        county = region_admin(uow, env, "371602")
        elsewhere = region_admin(uow, env, "370102")
        appeal_record(uow, env)
        assert told(uow, "appeal_unassigned") == {county.account_id}
        assert elsewhere.account_id not in told(uow, "appeal_unassigned")

    def test_a_department_officer_in_scope_is_told_and_nobody_else(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        officer(uow, env, "root.admin", (Role.ADMIN, ""))
        decider = health_officer(uow, env, "dept:health/371602")
        appeal_id = appeal_record(uow, env)
        assert told(uow, "appeal_waiting") == {decider.account_id}
        assert told(uow, "appeal_unassigned") == set()
        mine = show_appeal(uow, env, resident_id=person_of(uow, appeal_id), appeal_id=appeal_id)
        assert [s.step for s in mine.steps] == ["submitted", "assigned"]
        assert stepped(uow) == ["assigned"]


class TestAManualColourWhoseOfficersTookPart:
    def test_the_administrators_of_its_region_decide_it(self, uow: UnitOfWork, env: Env) -> None:
        """The organisation's only two issuers proposed and approved it: neither may
        decide the appeal, so the administrators whose region covers it are told."""
        home = community(uow, env)
        resident, override = painted(uow, env, home)
        county = region_admin(uow, env, "371602")
        submit_appeal(
            uow, env, resident_id=resident, policy_id="shandong-pass",
            override_id=override, reason=REASON,
        )  # fmt: skip
        assert told(uow, "appeal_waiting") == {county.account_id}
        assert [a.status for a in list_waiting_appeals(uow, env, county)] == ["open"]

    def test_else_the_deployments_administrators(self, uow: UnitOfWork, env: Env) -> None:
        home = community(uow, env)
        resident, override = painted(uow, env, home)
        root = officer(uow, env, "root.admin", (Role.ADMIN, ""))
        made = submit_appeal(
            uow, env, resident_id=resident, policy_id="shandong-pass",
            override_id=override, reason=REASON,
        )  # fmt: skip
        assert [s.step for s in made.steps] == ["submitted", "assigned"]
        assert told(uow, "appeal_waiting") == {root.account_id}
        assert told(uow, "appeal_unassigned") == set()


def test_the_code_stays_as_it_was(uow: UnitOfWork, env: Env) -> None:
    """Accepted: the appeal changes nothing until someone decides it."""
    from tests.factories.appeals import colour

    person = listed(uow, env)
    submit_appeal(
        uow, env, resident_id=person.resident_id, policy_id=POLICY,
        record_id=person.record_id, reason=REASON,
    )  # fmt: skip
    assert colour(uow, env, person.resident_id) is Colour.RED


def test_the_administrators_read_what_to_do(uow: UnitOfWork, env: Env) -> None:
    from healthcode.i18n import set_language
    from healthcode.services.notices.texts import describe

    officer(uow, env, "root.admin", (Role.ADMIN, ""))
    appeal_record(uow, env)
    [row] = uow.session.scalars(
        select(t.Notification).where(t.Notification.kind == "appeal_unassigned")
    ).all()
    set_language("en")
    assert describe(row.kind, row.payload, env.policies).title == (
        "A resident's appeal has nobody to decide it"
    )
    set_language("zh")  # the default again, for the tests that follow
    text = describe(row.kind, row.payload, env.policies)
    assert text.title == "有一件居民申诉无人可以决定"
    assert "卫生健康" in text.body
    assert "371602" in text.body
    assert text.link == "/staff/accounts"
