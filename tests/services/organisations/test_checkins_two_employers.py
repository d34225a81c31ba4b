"""A resident on two employers' staff lists (a part-time worker, a contractor), employer
A open 07:00–09:00 and B 08:00–10:00: the start page has a line for each, and a
check-in counts where a window is open and not done yet, correcting a done one only
when every open window is done. It showed one employer's windows and state, and a
check-in to be counted by B silently corrected A's earlier reading."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.checkins import Status, Window
from healthcode.domain.clock import TZ, FixedClock
from healthcode.domain.errors import DomainError
from healthcode.services.accounts.permissions import Principal
from healthcode.services.organisations import checkins
from healthcode.services.organisations.roster import enrol
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories.inputs import id_number
from tests.factories.roster import employer, employer_admin
from tests.services.conftest import declare, new_account
from tests.services.organisations.conftest import race
from tests.services.organisations.test_checkins import at, resident

A_NAME, B_NAME = "A 渤海机械厂", "B 滨州纺织厂"  # A first by name on both databases
DAY = date(2020, 2, 23)


class Staff:
    """The resident and their two roster rows."""

    def __init__(self, uow: UnitOfWork, env: Env, employers: dict[str, t.Organisation]) -> None:
        number = id_number()
        self.rows: dict[str, uuid.UUID] = {}
        for name, found in employers.items():
            enrol(uow, env, organisation_id=found.id, name="郑浩", id_number=number)
            query = select(t.Employee.id).where(t.Employee.organisation_id == found.id)
            self.rows[name] = uow.session.scalars(query).one()
        account = new_account(uow, env, "13800009999")
        declare(uow, env, account, "binzhou-code", name="郑浩", id_number=number)
        self.me = resident(uow, account)

    def readings(self, uow: UnitOfWork, name: str) -> list[tuple[float, bool]]:
        """The employer's morning check-ins today: (temperature, still current)."""
        history = uow.checkins.history(self.rows[name], DAY)
        return [(h.temperature, h.superseded_at is None) for h in history]


def two_employers(uow: UnitOfWork, env: Env) -> dict[str, t.Organisation]:
    found = {}
    for name, morning in ((A_NAME, ("07:00", "09:00")), (B_NAME, ("08:00", "10:00"))):
        found[name] = employer(uow, env, name=name)
        checkins.set_windows(
            uow, env, employer_admin(uow, env, found[name].id), organisation_id=found[name].id,
            morning=morning, evening=("17:00", "21:00"),
        )  # fmt: skip
    return found


@pytest.fixture
def committing(racing: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    """Committing sessions; the windows go first (they name the administrator)."""
    yield racing
    with racing.begin() as session:
        session.execute(delete(t.CheckinWindows))


@pytest.fixture
def staff(uow: UnitOfWork, env: Env) -> Staff:
    return Staff(uow, env, two_employers(uow, env))


def check_in(
    uow: UnitOfWork, env: Env, me: Principal, temperature: float
) -> list[tuple[str, bool]]:
    """Who it was recorded for, and whether it corrected an earlier one."""
    done = checkins.check_in(uow, env, me, temperature=temperature, symptoms=False)
    return [(d.organisation, d.corrected) for d in done]


def today(uow: UnitOfWork, env: Env, me: Principal) -> checkins.TodayCheckin:
    found = checkins.today_checkin(uow, env, me)
    assert found is not None
    return found


def lines(uow: UnitOfWork, env: Env, me: Principal) -> dict[str, checkins.EmployerToday]:
    return {line.name: line for line in today(uow, env, me).lines}


class TestTwoEmployers:
    def test_a_check_in_counts_where_the_window_is_not_done_yet(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, staff: Staff
    ) -> None:
        at(clock, 7, 30)
        assert check_in(uow, env, staff.me, 36.5) == [(A_NAME, False)]
        at(clock, 8, 30)
        shown = lines(uow, env, staff.me)
        a, b = shown[A_NAME], shown[B_NAME]
        assert (a.window, a.status, a.done and a.done.temperature) == (
            Window.MORNING,
            Status.DONE,
            36.5,
        )
        assert (b.window, b.status, b.done) == (Window.MORNING, Status.OPEN, None)
        assert [x.name for x in today(uow, env, staff.me).takers] == [B_NAME]
        assert check_in(uow, env, staff.me, 36.8) == [(B_NAME, False)]
        assert staff.readings(uow, A_NAME) == [(36.5, True)]  # A's reading is left alone

    def test_with_every_open_window_done_it_corrects_them_all(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, staff: Staff
    ) -> None:
        at(clock, 7, 30)
        check_in(uow, env, staff.me, 36.5)
        at(clock, 8, 30)
        check_in(uow, env, staff.me, 36.8)
        at(clock, 8, 45)
        assert check_in(uow, env, staff.me, 36.6) == [(A_NAME, True), (B_NAME, True)]
        assert staff.readings(uow, A_NAME) == [(36.5, False), (36.6, True)]
        assert staff.readings(uow, B_NAME) == [(36.8, False), (36.6, True)]

    def test_after_a_closes_its_morning_shows_done_beside_bs_open_one(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, staff: Staff
    ) -> None:
        at(clock, 8, 30)
        check_in(uow, env, staff.me, 36.5)  # both open, neither done: both
        at(clock, 9, 30)
        shown = today(uow, env, staff.me)
        a, b = shown.lines
        assert (a.name, a.window, a.latest, a.status, a.until) == (
            A_NAME,
            None,
            Window.MORNING,
            Status.DONE,
            "09:00",
        )
        assert a.next == checkins.Opening(
            Window.EVENING, datetime(2020, 2, 23, 17, 0, tzinfo=TZ), tomorrow=False
        )
        assert (b.name, b.window, b.status, b.next) == (B_NAME, Window.MORNING, Status.DONE, None)
        # the fields of one employer are B's, whose window is open
        assert (shown.window, shown.windows, shown.done) == (Window.MORNING, b.windows, b.done)
        assert shown.employers == (A_NAME, B_NAME)

    def test_a_missed_morning_is_shown_and_a_check_in_counts_for_the_open_one(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, staff: Staff
    ) -> None:
        at(clock, 9, 30)
        assert lines(uow, env, staff.me)[A_NAME].status is Status.MISSING
        assert check_in(uow, env, staff.me, 36.5) == [(B_NAME, False)]
        assert staff.readings(uow, A_NAME) == []

    def test_between_windows_each_says_when_its_next_one_opens(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, staff: Staff
    ) -> None:
        at(clock, 6, 30)
        a = lines(uow, env, staff.me)[A_NAME]
        assert (a.latest, a.status) == (None, None)
        assert a.next == checkins.Opening(
            Window.MORNING, datetime(2020, 2, 23, 7, 0, tzinfo=TZ), tomorrow=False
        )
        at(clock, 21, 30)
        b = lines(uow, env, staff.me)[B_NAME]
        assert (b.latest, b.status) == (Window.EVENING, Status.MISSING)
        assert b.next == checkins.Opening(
            Window.MORNING, datetime(2020, 2, 24, 8, 0, tzinfo=TZ), tomorrow=True
        )


class TestOneEmployer:
    def test_a_second_check_in_corrects_the_first_as_before(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        company = employer(uow, env, name=A_NAME)
        staff = Staff(uow, env, {A_NAME: company})
        at(clock, 8)
        assert check_in(uow, env, staff.me, 37.6) == [(A_NAME, False)]
        assert check_in(uow, env, staff.me, 36.6) == [(A_NAME, True)]
        shown = today(uow, env, staff.me)
        assert (shown.employers, shown.window) == ((A_NAME,), Window.MORNING)
        assert shown.done is not None
        assert shown.done.temperature == 36.6
        assert [line.name for line in shown.takers] == [A_NAME]
        at(clock, 12)
        assert today(uow, env, staff.me).done is None


def test_two_check_ins_at_once_act_as_one_after_the_other(
    committing: sessionmaker[Session], env: Env, clock: FixedClock
) -> None:
    """A done, B not: the second of two check-ins sent at once waits for the first,
    which goes to B, then finds both done and corrects both. Deciding before taking
    the rows' locks, it read B undone, and both went to B."""
    units = UnitOfWorkFactory(committing)
    at(clock, 7, 30)
    with units() as uow:
        staff = Staff(uow, env, two_employers(uow, env))
        check_in(uow, env, staff.me, 36.5)
    at(clock, 8, 30)
    second = race(
        units,
        lambda uow: check_in(uow, env, staff.me, 36.6),
        lambda uow: check_in(uow, env, staff.me, 36.7),
        DomainError,
    )
    assert second == [[(A_NAME, True), (B_NAME, True)]]
    with units() as uow:
        assert sorted(staff.readings(uow, A_NAME)) == [(36.5, False), (36.7, True)]
        assert sorted(staff.readings(uow, B_NAME)) == [(36.6, False), (36.7, True)]  # one instant
