"""Employers' twice-daily check-ins and the staff board (seed 003 §二–三): a missed
window shows as missing once it closes, a fever or a symptom flags the person and
tells the employer's administrators, a red employee is told centralised quarantine
with its end date, and another employer's administrator finds nothing."""

from __future__ import annotations

import threading
import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.checkins import Action, Status
from healthcode.domain.checkpoint import Decision
from healthcode.domain.clock import TZ, FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.errors import FieldError, InvalidInput, NotFound
from healthcode.services.accounts.permissions import Principal
from healthcode.services.accounts.sessions import principal_of
from healthcode.services.organisations import board as boards
from healthcode.services.organisations import checkins
from healthcode.services.organisations.registry import OrganisationKind
from healthcode.services.organisations.roster import enrol, manages_roster
from healthcode.services.scanning import scans
from healthcode.services.scanning.scans import ScanResult
from healthcode.services.scanning.venues import VenueKind, VenueSummary
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories.inputs import id_number
from tests.factories.organisations import organisation
from tests.factories.roster import employer, employer_admin, region_admin
from tests.factories.scanning import display_token, operator, venue
from tests.services.conftest import declare, new_account


@pytest.fixture
def company(uow: UnitOfWork, env: Env, community: t.Organisation) -> t.Organisation:
    return organisation(
        uow,
        env,
        kind=OrganisationKind.EMPLOYER,
        name="渤海示范机械有限公司",
        parent_id=community.id,
    )


@pytest.fixture
def admin(uow: UnitOfWork, env: Env, company: t.Organisation) -> Principal:
    return employer_admin(uow, env, company.id)


def staff_member(
    uow: UnitOfWork,
    env: Env,
    company: t.Organisation,
    name: str,
    *,
    phone: str = "",
    **fields: object,
) -> tuple[uuid.UUID, t.Account | None]:
    """A person on the roster; with ``phone``, also a resident who has declared."""
    number = id_number()
    enrol(uow, env, organisation_id=company.id, name=name, id_number=number)
    account = None
    if phone:
        account = new_account(uow, env, phone)
        declare(uow, env, account, "binzhou-code", name=name, id_number=number, **fields)
    row = uow.session.scalars(
        select(t.Employee).where(t.Employee.organisation_id == company.id, t.Employee.name == name)
    ).one()
    return row.id, account


def resident(uow: UnitOfWork, account: t.Account) -> Principal:
    return principal_of(uow, account_id=account.id)


def at(clock: FixedClock, hour: int, minute: int = 0) -> None:
    clock.set(datetime(2020, 2, 23, hour, minute, tzinfo=TZ))


def row_of(board: boards.Board, employee_id: uuid.UUID) -> boards.BoardRow:
    return next(r for r in board.rows if r.employee_id == employee_id)


def flagged_notices(uow: UnitOfWork, account_id: uuid.UUID) -> list[t.Notification]:
    query = select(t.Notification).where(
        t.Notification.account_id == account_id, t.Notification.kind == "checkin_flagged"
    )
    return list(uow.session.scalars(query))


class TestMissedWindow:
    def test_a_missed_evening_check_in_is_missing_only_after_the_window(
        self,
        uow: UnitOfWork,
        env: Env,
        clock: FixedClock,
        company: t.Organisation,
        admin: Principal,
    ) -> None:
        wang, _ = staff_member(uow, env, company, "王强", phone="13800001111")
        at(clock, 8)
        checkins.enter_checkins(
            uow, env, admin, organisation_id=company.id, entries=[checkins.Entry(wang, 36.4, False)]
        )
        at(clock, 16)
        row = row_of(boards.show_board(uow, env, admin, organisation_id=company.id), wang)
        assert (row.morning.status, row.evening.status) == (Status.DONE, Status.LATER)
        at(clock, 20, 59)
        row = row_of(boards.show_board(uow, env, admin, organisation_id=company.id), wang)
        assert row.evening.status is Status.OPEN
        assert not row.missing
        at(clock, 21, 0)
        board = boards.show_board(uow, env, admin, organisation_id=company.id)
        assert row_of(board, wang).evening.status is Status.MISSING
        assert board.counts["missing"] == 1
        only = boards.show_board(
            uow, env, admin, organisation_id=company.id, only=boards.Only.MISSING
        )
        assert [r.employee_id for r in only.rows] == [wang]

    def test_the_employers_own_windows_decide(
        self,
        uow: UnitOfWork,
        env: Env,
        clock: FixedClock,
        company: t.Organisation,
        admin: Principal,
    ) -> None:
        li, _ = staff_member(uow, env, company, "李娜", phone="13800002222")
        checkins.set_windows(
            uow,
            env,
            admin,
            organisation_id=company.id,
            morning=("07:00", "08:30"),
            evening=("18:00", "19:30"),
        )
        at(clock, 9)  # after the employer's morning window, inside the default one
        row = row_of(boards.show_board(uow, env, admin, organisation_id=company.id), li)
        assert row.morning.status is Status.MISSING
        with pytest.raises(InvalidInput) as refused:
            checkins.enter_checkins(
                uow,
                env,
                admin,
                organisation_id=company.id,
                entries=[checkins.Entry(li, 36.5, False)],
            )
        assert refused.value.errors[0].code == "closed"
        assert refused.value.errors[0].params == {
            "morning": "07:00–08:30",
            "evening": "18:00–19:30",
        }

    def test_windows_that_overlap_or_run_backwards_are_refused_field_by_field(
        self, uow: UnitOfWork, env: Env, company: t.Organisation, admin: Principal
    ) -> None:
        with pytest.raises(InvalidInput) as refused:
            checkins.set_windows(
                uow,
                env,
                admin,
                organisation_id=company.id,
                morning=("09:00", "08:00"),
                evening=("7pm", "21:00"),
            )
        assert {(e.field, e.code) for e in refused.value.errors} == {("evening_from", "time")}
        with pytest.raises(InvalidInput) as refused:
            checkins.set_windows(
                uow,
                env,
                admin,
                organisation_id=company.id,
                morning=("09:00", "08:00"),
                evening=("07:00", "21:00"),
            )
        assert {(e.field, e.code) for e in refused.value.errors} == {
            ("morning_until", "order"),
            ("evening_from", "overlap"),
        }


class TestFlagged:
    def test_a_fever_flags_and_tells_the_employers_administrators_once(
        self, uow: UnitOfWork, env: Env, company: t.Organisation, admin: Principal
    ) -> None:
        zhao, _ = staff_member(uow, env, company, "赵敏")
        qian, _ = staff_member(uow, env, company, "钱伟")
        done = checkins.enter_checkins(
            uow,
            env,
            admin,
            organisation_id=company.id,
            entries=[checkins.Entry(zhao, 37.3, False), checkins.Entry(qian, 37.2, False)],
        )
        assert [(r.name, r.flagged) for r in done] == [("赵敏", True), ("钱伟", False)]
        notices = flagged_notices(uow, admin.account_id)
        assert [n.payload["name"] for n in notices] == ["赵敏"]
        assert notices[0].payload["temperature"] == 37.3
        board = boards.show_board(
            uow, env, admin, organisation_id=company.id, only=boards.Only.FLAGGED
        )
        assert [r.name for r in board.rows] == ["赵敏"]
        assert board.counts["flagged"] == 1

    def test_a_deactivated_administrator_is_not_told(
        self, uow: UnitOfWork, env: Env, company: t.Organisation, admin: Principal
    ) -> None:
        left = employer_admin(uow, env, company.id)
        account = uow.accounts.by_id(left.account_id)
        assert account is not None
        account.disabled_at = env.clock.now()
        sun, _ = staff_member(uow, env, company, "孙强")
        checkins.enter_checkins(
            uow, env, admin, organisation_id=company.id, entries=[checkins.Entry(sun, 38.2, False)]
        )
        assert len(flagged_notices(uow, admin.account_id)) == 1
        assert flagged_notices(uow, left.account_id) == []

    def test_symptoms_flag_without_a_fever(
        self, uow: UnitOfWork, env: Env, company: t.Organisation, admin: Principal
    ) -> None:
        sun, _ = staff_member(uow, env, company, "孙强")
        (done,) = checkins.enter_checkins(
            uow, env, admin, organisation_id=company.id, entries=[checkins.Entry(sun, 36.6, True)]
        )
        assert done.flagged
        assert len(flagged_notices(uow, admin.account_id)) == 1

    def test_a_second_check_in_corrects_the_first_and_keeps_it(
        self,
        uow: UnitOfWork,
        env: Env,
        clock: FixedClock,
        company: t.Organisation,
        admin: Principal,
    ) -> None:
        zhou, _ = staff_member(uow, env, company, "周婷")
        entry = [checkins.Entry(zhou, 38.1, False)]
        checkins.enter_checkins(uow, env, admin, organisation_id=company.id, entries=entry)
        clock.advance(timedelta(minutes=5))
        (again,) = checkins.enter_checkins(
            uow, env, admin, organisation_id=company.id, entries=[checkins.Entry(zhou, 36.5, False)]
        )
        assert again.corrected
        assert not again.flagged
        history = uow.checkins.history(zhou, date(2020, 2, 23))
        assert [(h.temperature, h.superseded_at is not None) for h in history] == [
            (38.1, True),
            (36.5, False),
        ]
        row = row_of(boards.show_board(uow, env, admin, organisation_id=company.id), zhou)
        assert (row.morning.status, row.morning.temperature) == (Status.DONE, 36.5)

    def test_every_bad_row_is_named_and_nothing_is_written(
        self, uow: UnitOfWork, env: Env, company: t.Organisation, admin: Principal
    ) -> None:
        wu, _ = staff_member(uow, env, company, "吴刚")
        entries = [
            checkins.Entry(wu, 36.5, False),
            checkins.Entry(wu, 365.0, False),
            checkins.Entry(uuid.uuid4(), 36.5, False),
        ]
        with pytest.raises(InvalidInput) as refused:
            checkins.enter_checkins(uow, env, admin, organisation_id=company.id, entries=entries)
        assert [(e.field, e.code) for e in refused.value.errors] == [
            ("entries[1].employee_id", "duplicate"),  # stop 44: the later reading won
            ("entries[1].temperature", "range"),
            ("entries[2].employee_id", "unknown"),
        ]
        assert refused.value.errors[0].params == {"row": 1}
        assert uow.checkins.history(wu, date(2020, 2, 23)) == []

    def test_an_unknown_person_and_a_bad_reading_on_one_row_are_both_named(
        self, uow: UnitOfWork, env: Env, company: t.Organisation, admin: Principal
    ) -> None:
        """Stop 44, an outside probe: the request's own errors read ``entries[1]…``,
        the service's ``entries.0…``, and a row's second error waited for the next try."""
        entries = [checkins.Entry(uuid.uuid4(), 50.0, False)]
        with pytest.raises(InvalidInput) as refused:
            checkins.enter_checkins(uow, env, admin, organisation_id=company.id, entries=entries)
        assert [(e.field, e.code) for e in refused.value.errors] == [
            ("entries[0].employee_id", "unknown"),
            ("entries[0].temperature", "range"),
        ]

    def test_rows_the_edge_could_not_read_are_named_with_the_others(
        self, uow: UnitOfWork, env: Env, company: t.Organisation, admin: Principal
    ) -> None:
        """A page refused a row it could not read alone; the guard learned of the next
        row's error only after fixing it."""
        wu, _ = staff_member(uow, env, company, "吴刚")
        unread = [FieldError("t-x", "number", "Type a number, e.g. 36.5")]
        with pytest.raises(InvalidInput) as refused:
            checkins.enter_checkins(
                uow, env, admin, organisation_id=company.id,
                entries=[checkins.Entry(wu, 365.0, False)], unread=unread,
            )  # fmt: skip
        assert [(e.field, e.code) for e in refused.value.errors] == [
            ("t-x", "number"),
            ("entries[0].temperature", "range"),
        ]
        with pytest.raises(InvalidInput) as only_unread:
            checkins.enter_checkins(
                uow, env, admin, organisation_id=company.id, entries=[], unread=unread
            )
        assert [e.code for e in only_unread.value.errors] == ["number"]
        assert uow.checkins.history(wu, date(2020, 2, 23)) == []

    def test_a_list_locks_its_people_in_one_order_whatever_its_own(
        self,
        uow: UnitOfWork,
        env: Env,
        company: t.Organisation,
        admin: Principal,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Two lists of the same people saved at once in different orders deadlocked on
        PostgreSQL (23 of 45 requests got 503, found by probing): each locked its
        people in its own order. The answers keep the list's order."""
        people = [staff_member(uow, env, company, n)[0] for n in ("周一", "吴二", "郑三", "王四")]
        locked: list[uuid.UUID] = []
        lock = uow.checkins.lock_employee

        def noting(employee_id: uuid.UUID) -> t.Employee | None:
            locked.append(employee_id)
            return lock(employee_id)

        monkeypatch.setattr(uow.checkins, "lock_employee", noting)
        entries = [checkins.Entry(p, 36.5, False) for p in reversed(people)]
        done = checkins.enter_checkins(uow, env, admin, organisation_id=company.id, entries=entries)
        assert locked == sorted(people, key=str)
        assert [r.name for r in done] == ["王四", "郑三", "吴二", "周一"]


class TestSelfCheckIn:
    def test_a_resident_on_the_roster_checks_in_from_the_phone(
        self, uow: UnitOfWork, env: Env, company: t.Organisation, admin: Principal
    ) -> None:
        zheng, account = staff_member(uow, env, company, "郑浩", phone="13800002222")
        assert account is not None
        me = resident(uow, account)
        today = checkins.today_checkin(uow, env, me)
        assert today is not None
        assert today.employers == ("渤海示范机械有限公司",)
        assert today.done is None
        (done,) = checkins.check_in(uow, env, me, temperature=37.6, symptoms=False)
        assert done.flagged
        assert done.employee_id == zheng
        today = checkins.today_checkin(uow, env, me)
        assert today is not None
        assert today.done is not None
        assert today.done.temperature == 37.6
        assert [n.payload["name"] for n in flagged_notices(uow, admin.account_id)] == ["郑浩"]

    def test_on_two_rosters_it_counts_where_a_window_is_open(
        self, uow: UnitOfWork, env: Env, company: t.Organisation, admin: Principal
    ) -> None:
        number = id_number()
        second = employer(uow, env, name="滨州第二纺织厂")
        second_admin = employer_admin(uow, env, second.id)
        checkins.set_windows(
            uow,
            env,
            second_admin,
            organisation_id=second.id,
            morning=("06:00", "08:00"),
            evening=("17:00", "21:00"),
        )
        for found in (company, second):
            enrol(uow, env, organisation_id=found.id, name="郑浩", id_number=number)
        account = new_account(uow, env, "13800008888")
        declare(uow, env, account, "binzhou-code", name="郑浩", id_number=number)
        done = checkins.check_in(uow, env, resident(uow, account), temperature=36.5, symptoms=False)
        mine = uow.session.scalars(
            select(t.Employee.id).where(
                t.Employee.organisation_id == company.id, t.Employee.name == "郑浩"
            )
        ).one()
        assert [d.employee_id for d in done] == [mine]  # 09:00: the second's morning is over

    def test_on_two_rosters_the_start_page_offers_the_window_open_now(
        self, uow: UnitOfWork, env: Env, company: t.Organisation
    ) -> None:
        """The first employer by name (东营…) has closed its morning at 08:00; the page
        said "not a check-in time" though the other's window was open and a check-in
        would have counted there."""
        number = id_number()
        first = employer(uow, env, name="东营第二纺织厂")
        checkins.set_windows(
            uow, env, employer_admin(uow, env, first.id), organisation_id=first.id,
            morning=("06:00", "08:00"), evening=("17:00", "21:00"),
        )  # fmt: skip
        for found in (first, company):
            enrol(uow, env, organisation_id=found.id, name="郑浩", id_number=number)
        account = new_account(uow, env, "13800007777")
        declare(uow, env, account, "binzhou-code", name="郑浩", id_number=number)
        today = checkins.today_checkin(uow, env, resident(uow, account))
        assert today is not None
        assert today.window is not None  # 09:00: the company's morning

    def test_a_resident_on_no_roster_has_no_check_in(self, uow: UnitOfWork, env: Env) -> None:
        account = new_account(uow, env, "13800003333")
        declare(uow, env, account)
        me = resident(uow, account)
        assert checkins.today_checkin(uow, env, me) is None
        with pytest.raises(NotFound):
            checkins.check_in(uow, env, me, temperature=36.5, symptoms=False)

    def test_between_windows_it_is_refused_with_the_windows(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, company: t.Organisation
    ) -> None:
        _, account = staff_member(uow, env, company, "冯雪", phone="13800004444")
        assert account is not None
        at(clock, 13)
        with pytest.raises(InvalidInput) as refused:
            checkins.check_in(uow, env, resident(uow, account), temperature=36.5, symptoms=False)
        assert refused.value.errors[0].params == {
            "morning": "06:00–10:00",
            "evening": "17:00–21:00",
        }


class TestRequiredAction:
    def test_green_may_work_red_is_centralised_quarantine_until_a_date(
        self, uow: UnitOfWork, env: Env, company: t.Organisation, admin: Principal
    ) -> None:
        green, _ = staff_member(uow, env, company, "陈静", phone="13800005555")
        red, _ = staff_member(
            uow, env, company, "韩磊", phone="13800006666", exposures=[{"kind": "close_contact"}]
        )
        yellow, _ = staff_member(
            uow, env, company, "何芳", phone="13800007777", symptoms=["respiratory"]
        )
        nobody, _ = staff_member(uow, env, company, "罗斌")
        board = boards.show_board(uow, env, admin, organisation_id=company.id)
        assert row_of(board, green).colour is Colour.GREEN
        assert row_of(board, green).requirement.action is Action.WORK
        r = row_of(board, red)
        assert (r.colour, r.requirement.action) == (Colour.RED, Action.CENTRAL_QUARANTINE)
        # 14 calendar days from the day it turned red (23 Feb, in 2020 a leap year)
        assert r.requirement.until == date(2020, 3, 7)
        y = row_of(board, yellow)
        assert (y.colour, y.requirement.action) == (Colour.YELLOW, Action.HOME_QUARANTINE)
        assert y.requirement.until == date(2020, 3, 7)
        assert row_of(board, nobody).requirement.action is Action.NO_CODE
        assert (board.counts["green"], board.counts["red"], board.counts["yellow"]) == (1, 1, 1)
        assert (board.counts["pending"], board.counts["no_code"]) == (0, 1)
        assert board.counts["not_green"] == 3
        not_green = boards.show_board(
            uow, env, admin, organisation_id=company.id, only=boards.Only.NOT_GREEN
        )
        assert {r.name for r in not_green.rows} == {"韩磊", "何芳", "罗斌"}

    def test_only_those_who_may_work_are_missing_a_check_in(
        self,
        uow: UnitOfWork,
        env: Env,
        clock: FixedClock,
        company: t.Organisation,
        admin: Principal,
    ) -> None:
        """Seed 003 asks check-ins of those at work (上岗人员每日早晚两次人体测温): a
        red employee in centralised quarantine and one with no code yet were counted
        "missing" twice a day, burying the green one who did not check in."""
        at(clock, 8)
        green, _ = staff_member(uow, env, company, "陈静", phone="13800005555")
        red, _ = staff_member(
            uow, env, company, "韩磊", phone="13800006666", exposures=[{"kind": "close_contact"}]
        )
        nobody, _ = staff_member(uow, env, company, "罗斌")
        at(clock, 22)
        board = boards.show_board(uow, env, admin, organisation_id=company.id)
        assert row_of(board, green).evening.status is Status.MISSING
        for away in (red, nobody):
            slots = row_of(board, away).morning.status, row_of(board, away).evening.status
            assert slots == (Status.NOT_AT_WORK, Status.NOT_AT_WORK)
        assert board.counts["missing"] == 1
        only = boards.show_board(
            uow, env, admin, organisation_id=company.id, only=boards.Only.MISSING
        )
        assert [r.employee_id for r in only.rows] == [green]

    def test_a_green_employee_with_a_fever_today_is_not_told_may_work(
        self,
        uow: UnitOfWork,
        env: Env,
        clock: FixedClock,
        company: t.Organisation,
        admin: Principal,
    ) -> None:
        """A green code read "may work" beside a 38.2 ℃ morning reading."""
        at(clock, 8)
        fever, _ = staff_member(uow, env, company, "赵敏", phone="13800005555")
        well, _ = staff_member(uow, env, company, "钱伟", phone="13800006666")
        checkins.enter_checkins(
            uow,
            env,
            admin,
            organisation_id=company.id,
            entries=[checkins.Entry(fever, 38.2, False), checkins.Entry(well, 36.5, False)],
        )
        at(clock, 22)
        board = boards.show_board(uow, env, admin, organisation_id=company.id)
        row = row_of(board, fever)
        assert (row.colour, row.requirement.action) == (Colour.GREEN, Action.SEE_A_DOCTOR)
        assert "fever clinic" in row.requirement.words
        # sent home in the morning, they are not missing the evening's check-in
        assert (row.morning.status, row.evening.status) == (Status.FLAGGED, Status.NOT_AT_WORK)
        assert row_of(board, well).requirement.action is Action.WORK
        assert (board.counts["missing"], board.counts["flagged"]) == (1, 1)

    def test_a_pass_under_review_is_not_counted_as_no_code(
        self, uow: UnitOfWork, env: Env, company: t.Organisation, admin: Principal
    ) -> None:
        """A pending pass read "no health code yet" and counted under 无码 (found by
        probing the demo's board, where 8 of its staff wait for their issuer)."""
        waiting, _ = staff_member(uow, env, company, "孙丽")
        account = new_account(uow, env, "13800008888")
        row = uow.session.get(t.Employee, waiting)
        assert row is not None
        number = env.protector.decrypt(row.id_cipher, context="id_number").decode()
        declare(uow, env, account, "shandong-pass", name="孙丽", id_number=number)
        board = boards.show_board(uow, env, admin, organisation_id=company.id)
        found = row_of(board, waiting)
        assert (found.colour, found.requirement.action) == (Colour.PENDING, Action.UNDER_REVIEW)
        assert (board.counts["pending"], board.counts["no_code"]) == (1, 0)


class TestScope:
    def test_another_employers_administrator_finds_nothing(
        self, uow: UnitOfWork, env: Env, company: t.Organisation
    ) -> None:
        other = employer(uow, env, name="另一家公司")
        stranger = employer_admin(uow, env, other.id)
        for call in (
            lambda: boards.show_board(uow, env, stranger, organisation_id=company.id),
            lambda: checkins.enter_checkins(
                uow, env, stranger, organisation_id=company.id, entries=[]
            ),
            lambda: checkins.set_windows(
                uow,
                env,
                stranger,
                organisation_id=company.id,
                morning=("06:00", "09:00"),
                evening=("17:00", "20:00"),
            ),
        ):
            with pytest.raises(NotFound):
                call()

    def test_the_governing_community_and_region_see_the_board_and_it_is_audited(
        self, uow: UnitOfWork, env: Env, company: t.Organisation, community: t.Organisation
    ) -> None:
        staff_member(uow, env, company, "王强")
        for who in (employer_admin(uow, env, community.id), region_admin(uow, env, "371600")):
            board = boards.show_board(uow, env, who, organisation_id=company.id)
            assert [r.name for r in board.rows] == ["王强"]
            logged = uow.session.scalars(
                select(t.AuditEvent).where(
                    t.AuditEvent.actor_id == who.account_id,
                    t.AuditEvent.action == "employer.board.view",
                )
            ).all()
            assert [e.detail["organisation_id"] for e in logged] == [str(company.id)]


def test_two_check_ins_for_one_window_at_once_leave_one_current(
    racing: sessionmaker[Session], env: Env
) -> None:
    """The employee's row is locked: the second waits, then corrects the first."""
    units = UnitOfWorkFactory(racing)
    with units() as uow:
        company = employer(uow, env)
        admin = employer_admin(uow, env, company.id)
        worker, _ = staff_member(uow, env, company, "王强")
        company_id = company.id
    start = threading.Barrier(2)
    results: list[object] = []

    def one(temperature: float) -> None:
        start.wait()
        with units() as uow:
            entry = [checkins.Entry(worker, temperature, False)]
            results.extend(
                checkins.enter_checkins(uow, env, admin, organisation_id=company_id, entries=entry)
            )

    racers = [threading.Thread(target=one, args=(t,)) for t in (36.5, 36.7)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=30)
    assert len(results) == 2
    with units() as uow:
        history = uow.checkins.history(worker, date(2020, 2, 23))
        assert len(history) == 2
        assert sum(1 for h in history if h.superseded_at is None) == 1


def test_the_board_offers_the_staff_list_only_to_who_keeps_it(
    uow: UnitOfWork, env: Env, community: t.Organisation, company: t.Organisation, admin: Principal
) -> None:
    """The parent community's administrators see the board; its "staff list" link led
    them to a 404."""
    assert manages_roster(uow, admin, company.id)
    overseer = employer_admin(uow, env, community.id)
    assert boards.show_board(uow, env, overseer, organisation_id=company.id) is not None
    assert not manages_roster(uow, overseer, company.id)


class TestAtTheEmployersGate:
    @pytest.mark.usefixtures("signing_key")
    def test_a_flagged_check_in_is_shown_to_the_guard_there_only(
        self, uow: UnitOfWork, env: Env, company: t.Organisation, admin: Principal
    ) -> None:
        """Stop 44, an outside probe: the employer's own gate released a green code of
        an employee its board kept from work that day (a fever at check-in)."""
        zhao, account = staff_member(uow, env, company, "赵敏", phone="13811110000")
        assert account is not None
        gate = venue(uow, env, admin, company.id, kind=VenueKind.EMPLOYER_GATE)
        door = venue(uow, env, admin, company.id)  # a checkpoint, not the staff's gate
        at_gate, at_door = operator(uow, env, admin, gate.id), operator(uow, env, admin, door.id)

        def codes(result: ScanResult) -> list[object]:
            return [f["code"] for f in result.flags]

        def scan(guard: Principal, place: VenueSummary) -> ScanResult:
            token = display_token(uow, env, account.resident_id)
            return scans.scan_code(uow, env, guard, venue_id=place.id, token=token)

        assert scan(at_gate, gate).flags == ()
        checkins.enter_checkins(
            uow, env, admin, organisation_id=company.id, entries=[checkins.Entry(zhao, 38.6, False)]
        )
        env.clock.advance(timedelta(minutes=20))  # type: ignore[attr-defined]
        flagged = scan(at_gate, gate)
        assert [f["code"] for f in flagged.flags] == ["checkin_flagged"]
        assert flagged.decision is Decision.RELEASE  # a hint: the code is green
        assert "checkin_flagged" not in codes(scan(at_door, door))
        checkins.enter_checkins(  # corrected: no longer flagged
            uow, env, admin, organisation_id=company.id, entries=[checkins.Entry(zhao, 36.6, False)]
        )
        assert "checkin_flagged" not in codes(scan(at_gate, gate))
