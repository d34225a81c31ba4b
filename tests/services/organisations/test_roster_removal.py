"""An employer takes a person who left off its staff roster: they drop off the board,
its counts, the entrance list and the start page's check-in, their past check-ins
stay, removing them again is not found, a later import brings them back, and only the
roster's own administrators may do it (audit-logged)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import FixedClock
from healthcode.domain.errors import DomainError, InvalidInput, NotFound
from healthcode.services.accounts.permissions import Principal
from healthcode.services.organisations import board as boards
from healthcode.services.organisations import checkins, roster
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories.roster import employer, employer_admin, region_admin, staff_csv, staff_rows
from tests.services.organisations.conftest import race
from tests.services.organisations.test_checkins import (
    admin,
    at,
    company,
    resident,
    staff_member,
)

__all__ = ["admin", "company"]  # fixtures, shared with test_checkins


def remove(
    uow: UnitOfWork, env: Env, who: Principal, company: t.Organisation, person: uuid.UUID
) -> roster.StaffMember:
    return roster.remove_staff(uow, env, who, organisation_id=company.id, employee_id=person)


def removals(uow: UnitOfWork) -> list[t.AuditEvent]:
    query = select(t.AuditEvent).where(t.AuditEvent.action == "staff.roster.remove")
    return list(uow.session.scalars(query))


class TestRemoveStaff:
    def test_off_the_board_counts_and_entrance_with_the_past_check_ins_kept(
        self,
        uow: UnitOfWork,
        env: Env,
        clock: FixedClock,
        company: t.Organisation,
        admin: Principal,
    ) -> None:
        wang, _ = staff_member(uow, env, company, "王强")
        han, _ = staff_member(uow, env, company, "韩磊", phone="13800006666")
        at(clock, 8)
        entry = [checkins.Entry(wang, 36.4, False)]
        checkins.enter_checkins(uow, env, admin, organisation_id=company.id, entries=entry)
        at(clock, 22)
        removed = remove(uow, env, admin, company, wang)
        assert removed.name == "王强"
        board = boards.show_board(uow, env, admin, organisation_id=company.id)
        assert [r.employee_id for r in board.rows] == [han]
        assert board.counts["total"] == 1
        assert board.counts["missing"] == 1  # 韩磊 only: 王强 is no longer counted
        shown = roster.show_roster(uow, admin, organisation_id=company.id)
        assert (shown.total, [m.id for m in shown.staff]) == (1, [han])
        assert len(uow.checkins.history(wang, date(2020, 2, 23))) == 1  # kept for tracing
        at(clock, 18)
        with pytest.raises(InvalidInput) as refused:
            checkins.enter_checkins(uow, env, admin, organisation_id=company.id, entries=entry)
        assert refused.value.errors[0].code == "unknown"

    def test_the_resident_no_longer_checks_in_with_the_employer(
        self, uow: UnitOfWork, env: Env, company: t.Organisation, admin: Principal
    ) -> None:
        zheng, account = staff_member(uow, env, company, "郑浩", phone="13800002233")
        assert account is not None
        me = resident(uow, account)
        assert checkins.today_checkin(uow, env, me) is not None
        remove(uow, env, admin, company, zheng)
        assert checkins.today_checkin(uow, env, me) is None
        with pytest.raises(NotFound):
            checkins.check_in(uow, env, me, temperature=36.5, symptoms=False)
        assert roster.employers_of(uow, env, account_id=account.id) == ()

    def test_audited_with_who_and_when(
        self, uow: UnitOfWork, env: Env, company: t.Organisation, admin: Principal
    ) -> None:
        wang, _ = staff_member(uow, env, company, "王强")
        remove(uow, env, admin, company, wang)
        (event,) = removals(uow)
        assert event.actor_id == admin.account_id
        assert event.at == env.clock.now()
        assert event.detail == {"organisation_id": str(company.id), "employee_id": str(wang)}
        row = uow.session.get(t.Employee, wang)
        assert row is not None
        assert row.removed_at == env.clock.now()

    def test_removing_again_or_an_unknown_person_is_not_found(
        self, uow: UnitOfWork, env: Env, company: t.Organisation, admin: Principal
    ) -> None:
        wang, _ = staff_member(uow, env, company, "王强")
        remove(uow, env, admin, company, wang)
        for person in (wang, uuid.uuid4()):
            with pytest.raises(NotFound):
                remove(uow, env, admin, company, person)
        assert len(removals(uow)) == 1

    def test_a_later_import_brings_them_back_as_added(
        self, uow: UnitOfWork, env: Env, company: t.Organisation, admin: Principal
    ) -> None:
        content = staff_csv(staff_rows(2))
        roster.import_staff(uow, env, admin, organisation_id=company.id, content=content)
        wang = roster.show_roster(uow, admin, organisation_id=company.id).staff[0]
        remove(uow, env, admin, company, wang.id)
        again = roster.import_staff(uow, env, admin, organisation_id=company.id, content=content)
        assert (again.added, again.updated, again.unchanged) == (1, 0, 1)
        back = roster.show_roster(uow, admin, organisation_id=company.id)
        assert back.total == 2
        assert wang.id in {m.id for m in back.staff}  # the same row: its check-ins with it
        board = boards.show_board(uow, env, admin, organisation_id=company.id)
        assert board.counts["total"] == 2
        same = roster.import_staff(uow, env, admin, organisation_id=company.id, content=content)
        assert (same.added, same.unchanged) == (0, 2)


class TestScope:
    def test_only_the_rosters_administrators_may_remove(
        self,
        uow: UnitOfWork,
        env: Env,
        community: t.Organisation,
        company: t.Organisation,
        admin: Principal,
    ) -> None:
        wang, _ = staff_member(uow, env, company, "王强")
        other = employer(uow, env, name="另一家公司")
        outsiders = (
            employer_admin(uow, env, other.id),
            employer_admin(uow, env, community.id),  # sees the board, does not keep the list
            region_admin(uow, env, "370100"),
        )
        for who in outsiders:
            with pytest.raises(NotFound):
                remove(uow, env, who, company, wang)
        with pytest.raises(NotFound):  # a person of another employer's roster
            remove(uow, env, employer_admin(uow, env, other.id), other, wang)
        assert removals(uow) == []
        assert remove(uow, env, region_admin(uow, env, "371600"), company, wang).id == wang


def test_a_check_in_waiting_on_a_removal_is_refused(
    racing: sessionmaker[Session], env: Env
) -> None:
    """The check-in read the person on the roster, then waited on the removal's lock:
    written after it, it would have counted for someone no longer on the list."""
    units = UnitOfWorkFactory(racing)
    with units() as uow:
        company = employer(uow, env)
        admin = employer_admin(uow, env, company.id)
        worker, _ = staff_member(uow, env, company, "王强")
        company_id = company.id
    entry = [checkins.Entry(worker, 36.5, False)]
    outcome = race(
        units,
        lambda uow: roster.remove_staff(
            uow, env, admin, organisation_id=company_id, employee_id=worker
        ),
        lambda uow: checkins.enter_checkins(
            uow, env, admin, organisation_id=company_id, entries=entry
        ),
        DomainError,
    )
    # refused either way: on reading the list (SQLite's writers take turns from the
    # start) or on taking the person's row (PostgreSQL)
    assert len(outcome) == 1
    assert isinstance(outcome[0], NotFound | InvalidInput)
    with units() as uow:
        assert uow.checkins.history(worker, date(2020, 2, 23)) == []
