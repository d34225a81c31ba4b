"""Rolling back a batch withdraws its records and recomputes the colours it caused."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from healthcode.domain.colour import Colour
from healthcode.domain.records import Department, ImportKind
from healthcode.services.accounts.permissions import Principal, Role
from healthcode.services.appeals.appeals import submit_appeal
from healthcode.services.appeals.decisions import decide_appeal
from healthcode.services.records.batches import (
    AlreadyRolledBack,
    BatchNotFound,
    list_batches,
    roll_back_batch,
    show_batch,
)
from healthcode.services.records.imports import (
    DepartmentNotAllowed,
    ImportReport,
    staff_sender,
)
from healthcode.services.records.recolouring import recolour_batch
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.appeals import REASON, health_officer
from tests.factories.units import SameUnit
from tests.services.conftest import new_account
from tests.services.records.helpers import (
    colour_of,
    csv_bytes,
    green_resident,
    history_of,
    later,
    run_import,
)

HEADER = ("source_id", "id_number", "start")


_phones = iter(range(20_000_000, 29_999_999))


def operator(uow: UnitOfWork, env: Env, scope: str = "") -> Principal:
    account = new_account(uow, env, f"137{next(_phones)}")
    return Principal(account.id, "staff", None, frozenset({(Role.DATA_OPERATOR, scope)}))  # type: ignore[arg-type]


def test_rollback_restores_the_colours(uow: UnitOfWork, env: Env) -> None:
    listed, number = green_resident(uow, env)
    report = run_import(uow, env, csv_bytes([HEADER, ("CC-1", number, "2020-02-22")]))
    assert colour_of(uow, listed) is Colour.RED
    later(env)
    summary = roll_back_batch(uow, env, operator(uow, env), batch_id=report.batch_id)
    recolour_batch(SameUnit(uow), env, batch_id=report.batch_id)  # type: ignore[arg-type]
    assert summary.status == "rolled_back"
    assert colour_of(uow, listed) is Colour.GREEN
    assert [c.to_colour for c in history_of(uow, listed)][-2:] == ["red", "green"]
    with pytest.raises(AlreadyRolledBack):
        roll_back_batch(uow, env, operator(uow, env), batch_id=report.batch_id)


def test_a_batch_outside_the_operators_region_is_not_found(uow: UnitOfWork, env: Env) -> None:
    _, number = green_resident(uow, env)
    report = run_import(uow, env, csv_bytes([HEADER, ("CC-1", number, "2020-02-22")]))
    # an import with no region (sent by a command-centre account) is outside any region
    with pytest.raises(BatchNotFound):
        roll_back_batch(uow, env, operator(uow, env, "region:371600"), batch_id=report.batch_id)
    assert report.batch_id not in {
        b.id for b in list_batches(uow, operator(uow, env, "region:371600"))
    }
    assert report.batch_id in {b.id for b in list_batches(uow, operator(uow, env))}


def test_a_department_clerk_sends_and_rolls_back_only_their_departments_batches(
    uow: UnitOfWork, env: Env
) -> None:
    """A clerk scoped to a department (``dept:health``, as appeals need) saw no batch,
    not even their own, and could send the police's travel records."""
    clerk = operator(uow, env, "dept:health")
    with pytest.raises(DepartmentNotAllowed):
        staff_sender(clerk, Department.POLICE)
    _, number = green_resident(uow, env)
    rows = csv_bytes([HEADER, ("CC-1", number, "2020-02-22")])
    report = run_import(uow, env, rows, sender=staff_sender(clerk, Department.HEALTH))

    assert [b.id for b in list_batches(uow, clerk)] == [report.batch_id]
    assert list_batches(uow, operator(uow, env, "dept:police")) == []
    later(env)
    assert roll_back_batch(uow, env, clerk, batch_id=report.batch_id).status == "rolled_back"


def test_a_county_clerks_batch_is_listed_in_the_county_and_the_city(
    uow: UnitOfWork, env: Env
) -> None:
    county = operator(uow, env, "dept:health/371602")
    _, number = green_resident(uow, env)
    rows = csv_bytes([HEADER, ("CC-1", number, "2020-02-22")])
    report = run_import(uow, env, rows, sender=staff_sender(county, Department.HEALTH))

    for sees in ("dept:health/371602", "dept:health/371600", "dept:health", "region:371600"):
        assert [b.id for b in list_batches(uow, operator(uow, env, sees))] == [report.batch_id]
    for blind in ("dept:health/371603", "dept:police", "region:370100"):
        assert list_batches(uow, operator(uow, env, blind)) == []
        with pytest.raises(BatchNotFound):
            show_batch(uow, operator(uow, env, blind), batch_id=report.batch_id)


def test_a_release_sent_later_amends_the_record_and_its_rollback_restores_it(
    uow: UnitOfWork, env: Env
) -> None:
    listed, number = green_resident(uow, env)
    header = ("source_id", "id_number", "start", "end")
    run_import(uow, env, csv_bytes([header, ("CC-1", number, "2020-02-09", "")]))
    later(env)
    release = run_import(
        uow, env, csv_bytes([header, ("CC-1", number, "2020-02-09", "2020-02-23")])
    )
    assert (release.added, release.amended, release.unchanged) == (0, 1, 0)
    assert listed.resident_id is not None
    [record] = uow.data_records.of_resident(listed.resident_id)
    assert record.end is not None
    assert colour_of(uow, listed) is Colour.RED  # released today: the 14-day streak starts
    code = uow.codes.of_resident(listed.resident_id, "binzhou-code")
    assert code is not None
    assert code.state["reasons"][0]["streak"] is not None
    roll_back_batch(uow, env, operator(uow, env), batch_id=release.batch_id)
    uow.flush()
    assert record.end is None
    assert record.withdrawn_at is None  # the first import's record stands
    logged = uow.session.scalars(
        select(t.AuditEvent.detail).where(t.AuditEvent.action == "records.rollback")
    ).one()  # it said "rows: 0" alone, as if nothing had changed (stop 45, an outside probe)
    assert (logged["rows"], logged["restored"]) == (0, 1)


@pytest.mark.parametrize("order", [(0, 1), (1, 0)], ids=["in the order sent", "latest first"])
def test_two_corrections_rolled_back_leave_the_record_as_before_both(
    uow: UnitOfWork, env: Env, order: tuple[int, int]
) -> None:
    """A fever-clinic visit (yellow within 14 days) corrected to a month earlier, then
    to a day before that (green); both corrections found wrong and rolled back. The
    record kept only its last amendment, so in either order the first correction's
    date stayed, and the resident was shown green."""
    listed, number = green_resident(uow, env)
    today = env.clock.now().date()
    clinic = ImportKind.FEVER_CLINIC
    visit = (today - timedelta(days=2)).isoformat()
    run_import(uow, env, csv_bytes([HEADER, ("FC-1", number, visit)]), kind=clinic)
    assert colour_of(uow, listed) is Colour.YELLOW
    fixes = []
    for days in (30, 31):
        later(env)
        earlier = (today - timedelta(days=days)).isoformat()
        fixes.append(
            run_import(uow, env, csv_bytes([HEADER, ("FC-1", number, earlier)]), kind=clinic)
        )
    assert [fix.amended for fix in fixes] == [1, 1]
    assert colour_of(uow, listed) is Colour.GREEN
    for index in order:
        later(env)
        roll_back_batch(uow, env, operator(uow, env), batch_id=fixes[index].batch_id)
        recolour_batch(SameUnit(uow), env, batch_id=fixes[index].batch_id)  # type: ignore[arg-type]
    assert listed.resident_id is not None
    [record] = uow.data_records.of_resident(listed.resident_id)
    assert record.start is not None
    assert record.start.isoformat() == visit
    assert colour_of(uow, listed) is Colour.YELLOW


def test_a_rolled_back_record_sent_again_is_in_force_again(uow: UnitOfWork, env: Env) -> None:
    """The point of a rollback is to send the corrected file: its records count again
    (reported amended, not "unchanged" and ignored), and rolling that back withdraws
    them again."""

    def roll_back(batch_id: uuid.UUID) -> None:
        roll_back_batch(uow, env, operator(uow, env), batch_id=batch_id)
        recolour_batch(SameUnit(uow), env, batch_id=batch_id)  # type: ignore[arg-type]

    listed, number = green_resident(uow, env)
    data = csv_bytes([HEADER, ("CC-1", number, "2020-02-22")])
    first = run_import(uow, env, data)
    later(env)
    roll_back(first.batch_id)
    assert colour_of(uow, listed) is Colour.GREEN
    later(env)
    again = run_import(uow, env, data)
    assert (again.added, again.amended, again.unchanged) == (0, 1, 0)
    # the batch as its page, the API and `data batches` list it counts it too (it did not)
    assert show_batch(uow, operator(uow, env), batch_id=again.batch_id)[0].amended == 1
    assert colour_of(uow, listed) is Colour.RED
    later(env)
    roll_back(again.batch_id)
    assert colour_of(uow, listed) is Colour.GREEN
    assert [c.to_colour for c in history_of(uow, listed)][-4:] == ["red", "green", "red", "green"]
    assert listed.resident_id is not None
    [record] = uow.data_records.of_resident(listed.resident_id)
    assert record.withdrawn_reason == f"rollback of import {first.batch_id}"


def test_rolling_back_a_correction_recolours_by_the_record_it_restores(
    uow: UnitOfWork, env: Env
) -> None:
    """A fever-clinic visit (yellow within 14 days) corrected to a month earlier
    (green); rolling the correction back restores the visit's date, and the resident
    is yellow again. The rollback's recolouring found nobody before: it looks for
    the batch's residents by ``amended_by``, which the restore had cleared."""
    listed, number = green_resident(uow, env)
    today = env.clock.now().date()
    visit = (today - timedelta(days=2)).isoformat()
    earlier = (today - timedelta(days=30)).isoformat()
    clinic = ImportKind.FEVER_CLINIC
    run_import(uow, env, csv_bytes([HEADER, ("FC-1", number, visit)]), kind=clinic)
    assert colour_of(uow, listed) is Colour.YELLOW
    later(env)
    fixed = run_import(uow, env, csv_bytes([HEADER, ("FC-1", number, earlier)]), kind=clinic)
    assert fixed.amended == 1
    assert colour_of(uow, listed) is Colour.GREEN
    later(env)
    roll_back_batch(uow, env, operator(uow, env), batch_id=fixed.batch_id)
    recolour_batch(SameUnit(uow), env, batch_id=fixed.batch_id)  # type: ignore[arg-type]
    assert colour_of(uow, listed) is Colour.YELLOW


class TestHighRiskListings:
    """A listing is amended, rolled back and sent again as a record is: the day a
    region's listing was lifted, sent later, used to count "unchanged" and was lost."""

    LISTING = ("source_id", "region", "start", "end")

    def stayed(self, uow: UnitOfWork, env: Env) -> t.Account:
        """A resident a carrier saw in Jinan's Lixia district on 18–19 February."""
        account, number = green_resident(uow, env)
        travel = [("source_id", "id_number", "region", "start", "end")]
        travel += [("T-1", number, "370102", "2020-02-18", "2020-02-19")]
        run_import(
            uow, env, csv_bytes(travel), kind=ImportKind.TRAVEL, department=Department.CARRIER
        )
        return account

    def listed(self, uow: UnitOfWork, env: Env, end: str) -> ImportReport:
        later(env)
        listing = csv_bytes([self.LISTING, ("HR-1", "370100", "2020-02-17", end)])
        return run_import(uow, env, listing, kind=ImportKind.HIGH_RISK_REGION)

    def roll_back(self, uow: UnitOfWork, env: Env, batch_id: uuid.UUID) -> None:
        later(env)
        roll_back_batch(uow, env, operator(uow, env), batch_id=batch_id)
        recolour_batch(SameUnit(uow), env, batch_id=batch_id)  # type: ignore[arg-type]

    def test_a_listing_lifted_later_amends_it_and_its_rollback_restores_it(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        account = self.stayed(uow, env)
        assert self.listed(uow, env, "").added == 1
        assert colour_of(uow, account) is Colour.RED
        lifted = self.listed(uow, env, "2020-02-17")  # high-risk for one day, before the stay
        assert (lifted.added, lifted.amended, lifted.unchanged) == (0, 1, 0)
        assert colour_of(uow, account) is Colour.GREEN
        assert self.listed(uow, env, "2020-02-17").unchanged == 1
        self.roll_back(uow, env, lifted.batch_id)
        [listing] = uow.high_risk_regions.ever_listed()
        assert (listing.end, listing.withdrawn_at) == (None, None)
        assert colour_of(uow, account) is Colour.RED
        assert [c.to_colour for c in history_of(uow, account)][-3:] == ["red", "green", "red"]

    @pytest.mark.parametrize("order", [(0, 1), (1, 0)], ids=["in the order sent", "latest first"])
    def test_two_amendments_rolled_back_leave_the_listing_as_before_both(
        self, uow: UnitOfWork, env: Env, order: tuple[int, int]
    ) -> None:
        account = self.stayed(uow, env)
        self.listed(uow, env, "")
        assert colour_of(uow, account) is Colour.RED
        later(env)
        lifted = self.listed(uow, env, "2020-02-17")
        moved = csv_bytes([self.LISTING, ("HR-1", "420100", "2020-02-17", "")])
        later(env)
        elsewhere = run_import(uow, env, moved, kind=ImportKind.HIGH_RISK_REGION)
        assert (lifted.amended, elsewhere.amended) == (1, 1)
        assert colour_of(uow, account) is Colour.GREEN
        for index in order:
            self.roll_back(uow, env, (lifted, elsewhere)[index].batch_id)
        [listing] = uow.high_risk_regions.ever_listed()
        assert (listing.region, listing.end) == ("3701", None)
        assert colour_of(uow, account) is Colour.RED

    def test_a_rolled_back_listing_sent_again_is_in_force_again(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        account = self.stayed(uow, env)
        first = self.listed(uow, env, "")
        self.roll_back(uow, env, first.batch_id)
        assert colour_of(uow, account) is Colour.GREEN
        again = self.listed(uow, env, "")
        assert (again.added, again.amended, again.unchanged) == (0, 1, 0)
        assert colour_of(uow, account) is Colour.RED
        self.roll_back(uow, env, again.batch_id)
        assert colour_of(uow, account) is Colour.GREEN
        [listing] = uow.high_risk_regions.ever_listed()
        assert listing.withdrawn_reason == f"rollback of import {first.batch_id}"

    def test_a_listing_number_repeated_with_other_dates_is_refused(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        rows = [self.LISTING, ("HR-1", "370100", "2020-02-17", "")]
        rows += [("HR-1", "370100", "2020-02-17", ""), ("HR-1", "420100", "2020-02-17", "")]
        report = run_import(uow, env, csv_bytes(rows), kind=ImportKind.HIGH_RISK_REGION)
        assert (report.added, report.unchanged, report.refused) == (1, 1, 1)
        assert [(r.line, r.code, r.params["first"]) for r in report.refusals] == [
            (4, "source_id_repeated", 2)
        ]


def test_a_record_found_wrong_on_appeal_after_its_rollback_is_not_taken_again(
    uow: UnitOfWork, env: Env
) -> None:
    """The batch is rolled back (the record withdrawn, in force again if re-sent), then
    the resident's appeal against the record is upheld: it is withdrawn for good, and
    the department's re-sent file is refused for it (it used to come back into force
    and turn the resident red again)."""
    listed, number = green_resident(uow, env)
    data = csv_bytes([HEADER, ("CC-1", number, "2020-02-22")])
    first = run_import(uow, env, data)
    appeal = _appealed(uow, env, listed)
    later(env)
    roll_back_batch(uow, env, operator(uow, env), batch_id=first.batch_id)
    recolour_batch(SameUnit(uow), env, batch_id=first.batch_id)  # type: ignore[arg-type]
    _upheld(uow, env, appeal)
    later(env)
    again = run_import(uow, env, data)
    assert (again.amended, again.refused) == (0, 1)
    assert [r.code for r in again.refusals] == ["record_withdrawn"]
    assert colour_of(uow, listed) is Colour.GREEN


def test_rolling_back_a_resend_leaves_an_appeals_withdrawal(uow: UnitOfWork, env: Env) -> None:
    """Sent, rolled back, sent again (in force again), then found wrong on appeal. The
    rollback of the second file used to put back the first rollback's withdrawal, so
    the department's next re-send was taken and the resident turned red again."""
    listed, number = green_resident(uow, env)
    data = csv_bytes([HEADER, ("CC-1", number, "2020-02-22")])
    first = run_import(uow, env, data)
    later(env)
    roll_back_batch(uow, env, operator(uow, env), batch_id=first.batch_id)
    later(env)
    again = run_import(uow, env, data)
    assert again.amended == 1
    _upheld(uow, env, _appealed(uow, env, listed))
    assert listed.resident_id is not None
    [record] = uow.data_records.of_resident(listed.resident_id)
    found_wrong = record.withdrawn_reason
    later(env)
    roll_back_batch(uow, env, operator(uow, env), batch_id=again.batch_id)
    recolour_batch(SameUnit(uow), env, batch_id=again.batch_id)  # type: ignore[arg-type]
    assert record.withdrawn_reason == found_wrong
    later(env)
    third = run_import(uow, env, data)
    assert [r.code for r in third.refusals] == ["record_withdrawn"]
    assert colour_of(uow, listed) is Colour.GREEN


def _appealed(uow: UnitOfWork, env: Env, listed: t.Account) -> uuid.UUID:
    """The resident's appeal against their one record."""
    assert listed.resident_id is not None
    [record] = uow.data_records.of_resident(listed.resident_id)
    return submit_appeal(
        uow, env, resident_id=listed.resident_id, policy_id="binzhou-code",
        record_id=record.id, reason=REASON,
    ).id  # fmt: skip


def _upheld(uow: UnitOfWork, env: Env, appeal_id: uuid.UUID) -> None:
    decide_appeal(
        uow, env, health_officer(uow, env), appeal_id=appeal_id, uphold=True,
        note="核实该居民当日不在通报场所，撤销密接记录",
    )  # fmt: skip
