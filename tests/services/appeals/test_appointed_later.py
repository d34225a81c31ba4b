"""An appeal nobody could decide goes to the officer appointed later: giving the role
and scope that may decide it moves the appeal on (step ``assigned``, the resident
told) and tells the new officer, once, in the grant's own transaction."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from healthcode.services.accounts.permissions import Principal, Role
from healthcode.services.accounts.sessions import principal_of
from healthcode.services.appeals.appeals import show_appeal, submit_appeal
from healthcode.services.organisations import staff_accounts
from healthcode.services.organisations.authorisations import Decision
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.appeals import PASSWORD, REASON, officer
from tests.services.appeals.test_no_decider import appeal_record, person_of, stepped, told
from tests.services.appeals.test_override_appeals import painted
from tests.services.organisations.review import community
from tests.services.organisations.test_authorisations import applicant, apply, decide
from tests.services.organisations.test_registry import region_admin


def steps(uow: UnitOfWork, env: Env, appeal_id: uuid.UUID) -> list[tuple[str, str]]:
    mine = show_appeal(uow, env, resident_id=person_of(uow, appeal_id), appeal_id=appeal_id)
    return [(s.step, s.note) for s in mine.steps]


def audited(uow: UnitOfWork) -> list[dict[str, object]]:
    query = select(t.AuditEvent).where(t.AuditEvent.action == "appeal.assigned")
    return [dict(e.detail) for e in uow.session.scalars(query)]


def clerk(uow: UnitOfWork, env: Env, root: Principal) -> uuid.UUID:
    """A staff account holding nothing that decides a health record's appeal."""
    made = staff_accounts.create_staff_account(
        uow, env, root, username="clerk", password=PASSWORD, display_name="王芳",
        roles=[(Role.AUDITOR, "")],
    )  # fmt: skip
    return made.id


def give(uow: UnitOfWork, env: Env, root: Principal, to: uuid.UUID, role: Role, scope: str) -> None:
    staff_accounts.change_roles(uow, env, root, account_id=to, add=[(role, scope)])


class TestARoleGivenLater:
    def test_the_appeal_goes_to_the_new_officer_once(self, uow: UnitOfWork, env: Env) -> None:
        root = officer(uow, env, "root.admin", (Role.ADMIN, ""))
        appeal_id = appeal_record(uow, env)
        new = clerk(uow, env, root)
        assert steps(uow, env, appeal_id)[-1] == ("unassigned", "health")

        give(uow, env, root, new, Role.DATA_OPERATOR, "dept:health/371602")

        assert steps(uow, env, appeal_id) == [
            ("submitted", ""),
            ("unassigned", "health"),
            ("assigned", "health"),
        ]
        assert stepped(uow) == ["unassigned", "assigned"]  # the resident is told
        assert told(uow, "appeal_waiting") == {new}  # and so is the new officer
        [entry] = audited(uow)
        assert entry["appeal"] == str(appeal_id)
        assert entry["officer"] == str(new)

        # given again (another scope that covers it too): nothing more is said
        give(uow, env, root, new, Role.DATA_OPERATOR, "dept:health")
        assert [s for s, _ in steps(uow, env, appeal_id)].count("assigned") == 1
        assert stepped(uow) == ["unassigned", "assigned"]
        assert len(uow.session.scalars(
            select(t.Notification).where(t.Notification.kind == "appeal_waiting")
        ).all()) == 1  # fmt: skip
        assert len(audited(uow)) == 1

    def test_a_role_or_scope_that_cannot_decide_it_changes_nothing(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        root = officer(uow, env, "root.admin", (Role.ADMIN, ""))
        appeal_id = appeal_record(uow, env)
        new = clerk(uow, env, root)
        give(uow, env, root, new, Role.DATA_OPERATOR, "dept:police")  # another department
        give(uow, env, root, new, Role.DATA_OPERATOR, "dept:health/370102")  # another region
        give(uow, env, root, new, Role.CHECKPOINT, "")
        assert steps(uow, env, appeal_id) == [("submitted", ""), ("unassigned", "health")]
        assert stepped(uow) == ["unassigned"]
        assert told(uow, "appeal_waiting") == set()
        assert audited(uow) == []

    def test_a_new_account_made_with_the_role(self, uow: UnitOfWork, env: Env) -> None:
        root = officer(uow, env, "root.admin", (Role.ADMIN, ""))
        appeal_id = appeal_record(uow, env)
        made = staff_accounts.create_staff_account(
            uow, env, root, username="health.new", password=PASSWORD, display_name="李敏",
            roles=[(Role.DATA_OPERATOR, "dept:health")],
        )  # fmt: skip
        assert steps(uow, env, appeal_id)[-1] == ("assigned", "health")
        assert told(uow, "appeal_waiting") == {made.id}

    def test_an_issuer_approved_for_the_organisation(self, uow: UnitOfWork, env: Env) -> None:
        """A manual colour's appeal whose two officers were the organisation's only
        issuers, in a deployment with no administrator yet: an issuer approved later
        (the other path that grants a role) may decide it, and gets it."""
        home = community(uow, env)
        resident, override = painted(uow, env, home)
        made = submit_appeal(
            uow, env, resident_id=resident, policy_id="shandong-pass",
            override_id=override, reason=REASON,
        )  # fmt: skip
        assert [s.step for s in made.steps] == ["submitted", "unassigned"]
        county = region_admin(uow, env)  # appointed outside the use cases: nothing said
        person = applicant(uow, env)
        pending = apply(uow, env, person, home.organisation)
        decide(uow, env, county, pending.id, Decision.APPROVE)

        assert steps(uow, env, made.id)[-1] == ("assigned", home.organisation.name)
        assert told(uow, "appeal_waiting") == {person.account_id}
        assert principal_of(uow, account_id=person.account_id).roles

    def test_an_officer_reactivated(self, uow: UnitOfWork, env: Env) -> None:
        """Deactivated, the department's only officer decided nothing; back, they do."""
        root = officer(uow, env, "root.admin", (Role.ADMIN, ""))
        made = staff_accounts.create_staff_account(
            uow, env, root, username="health.away", password=PASSWORD, display_name="李敏",
            roles=[(Role.DATA_OPERATOR, "dept:health")],
        )  # fmt: skip
        staff_accounts.deactivate_staff_account(
            uow, env, root, account_id=made.id, reason="on leave"
        )
        appeal_id = appeal_record(uow, env)
        assert steps(uow, env, appeal_id)[-1] == ("unassigned", "health")
        staff_accounts.reactivate_staff_account(
            uow, env, root, account_id=made.id, reason="back from leave"
        )
        assert steps(uow, env, appeal_id)[-1] == ("assigned", "health")
        assert told(uow, "appeal_waiting") == {made.id}
