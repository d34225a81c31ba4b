"""Tracing from scans (issue 13 Done-when part 2): a confirmed case's venues, exactly
the residents scanned there within the window, turned red through one import batch
with the record as reason, and turned back by rolling the batch back."""

from __future__ import annotations

import pytest

from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput
from healthcode.domain.records import ImportKind
from healthcode.services.accounts.permissions import Principal, Role
from healthcode.services.records.batches import list_batches, roll_back_batch
from healthcode.services.records.recolouring import recolour_batch
from healthcode.services.records.tracing import (
    CaseNotFound,
    NothingSelected,
    confirmed_cases,
    create_contact_records,
    find_case,
    trace_case,
)
from healthcode.services.scanning import check_ins, releases, scans
from healthcode.services.scanning.venues import VenueSummary
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import id_number
from tests.factories.organisations import organisation
from tests.factories.roster import employer_admin
from tests.factories.scanning import display_token, operator, venue
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

_phones = iter(range(30_000_000, 39_999_999))


def officer(uow: UnitOfWork, env: Env, scope: str = "") -> Principal:
    account = new_account(uow, env, f"136{next(_phones)}")
    return Principal(account.id, "staff", None, frozenset({(Role.DATA_OPERATOR, scope)}))  # type: ignore[arg-type]


@pytest.fixture
def market(uow: UnitOfWork, env: Env) -> VenueSummary:
    community = organisation(uow, env, name="黄河五路社区居民委员会")
    return venue(uow, env, employer_admin(uow, env, community.id), community.id, name="银座超市")


def enter(uow: UnitOfWork, env: Env, who: t.Account, market: VenueSummary) -> None:
    check_ins.check_in(
        uow, env, resident_id=who.resident_id, code=market.code, policy_id="binzhou-code"
    )


class World:
    def __init__(self, uow: UnitOfWork, env: Env, market: VenueSummary) -> None:
        self.before, _ = green_resident(uow, env)
        self.case, case_number = green_resident(uow, env)
        self.numbers = [(self.case, case_number)]
        self.after, _ = green_resident(uow, env)
        self.outside, _ = green_resident(uow, env)
        enter(uow, env, self.before, market)  # 20 minutes before the case
        later(env, 20)
        enter(uow, env, self.case, market)
        later(env, 25)
        enter(uow, env, self.after, market)  # 25 minutes after
        later(env, 60)
        enter(uow, env, self.outside, market)  # 85 minutes after: outside ±30
        later(env, 60)
        header = ("source_id", "id_number", "start")
        run_import(
            uow,
            env,
            csv_bytes([header, ("CASE-1", case_number, "2020-02-23")]),
            kind=ImportKind.CONFIRMED,
            file_name="cases.csv",
        )
        assert colour_of(uow, self.case) is Colour.RED
        later(env)


@pytest.fixture
def world(uow: UnitOfWork, env: Env, market: VenueSummary) -> World:
    return World(uow, env, market)


def test_the_trace_lists_exactly_the_two_within_the_window(
    uow: UnitOfWork, env: Env, world: World, market: VenueSummary
) -> None:
    assert world.case.resident_id is not None
    trace = trace_case(uow, env, officer(uow, env), resident_id=world.case.resident_id)
    [visit] = trace.visits
    assert (visit.venue_name, visit.window_end - visit.window_start) == (
        "银座超市",
        2 * (visit.at - visit.window_start),
    )
    assert [c.resident_id for c in trace.contacts] == [
        world.before.resident_id,
        world.after.resident_id,
    ]
    assert all("*" in c.masked_name or "*" in c.masked_id for c in trace.contacts)
    assert [o.venue_id for c in trace.contacts for o in c.overlaps] == [market.id, market.id]
    # a wider window reaches the third
    wider = trace_case(
        uow, env, officer(uow, env), resident_id=world.case.resident_id, window_minutes=90
    )
    assert world.outside.resident_id in {c.resident_id for c in wider.contacts}
    assert trace.complete
    assert wider.complete
    uow.flush()
    assert uow.session.query(t.AuditEvent).filter_by(action="records.trace").count() == 2


def test_a_trace_cut_short_says_so(
    uow: UnitOfWork, env: Env, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_CONTACTS people the search stops; the officer was not told the list
    was incomplete (found reading the code during a probe)."""
    import healthcode.services.records.tracing as tracing

    monkeypatch.setattr(tracing, "MAX_CONTACTS", 1)
    assert world.case.resident_id is not None
    trace = trace_case(uow, env, officer(uow, env), resident_id=world.case.resident_id)
    assert not trace.complete


def test_the_action_turns_exactly_those_two_red_and_the_rollback_restores_them(
    uow: UnitOfWork, env: Env, world: World
) -> None:
    assert world.case.resident_id is not None
    report = create_contact_records(uow, env, officer(uow, env), resident_id=world.case.resident_id)
    recolour_batch(SameUnit(uow), env, batch_id=report.batch_id)  # type: ignore[arg-type]
    assert (report.added, report.department, report.kind) == (2, "health", "close_contact")
    assert [colour_of(uow, a) for a in (world.before, world.after, world.outside)] == [
        Colour.RED,
        Colour.RED,
        Colour.GREEN,
    ]
    for contact in (world.before, world.after):
        change = history_of(uow, contact)[-1]
        assert (change.to_colour, change.rule_ids) == ("red", ["BZ-RED-RECORD-CONTACT"])
        assert contact.resident_id is not None
        [record] = uow.data_records.of_resident(contact.resident_id)
        code = uow.codes.of_resident(contact.resident_id, "binzhou-code")
        assert code is not None
        assert str(record.id) in str(code.state["reasons"][0]["evidence"])
        assert record.detail == "银座超市"
    assert report.batch_id in {b.id for b in list_batches(uow, officer(uow, env))}
    # doing it again changes nothing
    again = create_contact_records(uow, env, officer(uow, env), resident_id=world.case.resident_id)
    assert (again.added, again.unchanged) == (0, 2)
    later(env)
    roll_back_batch(uow, env, officer(uow, env), batch_id=report.batch_id)
    recolour_batch(SameUnit(uow), env, batch_id=report.batch_id)  # type: ignore[arg-type]
    assert [colour_of(uow, a) for a in (world.before, world.after, world.outside)] == [
        Colour.GREEN,
        Colour.GREEN,
        Colour.GREEN,
    ]


def test_the_officers_selection_only(uow: UnitOfWork, env: Env, world: World) -> None:
    assert world.case.resident_id is not None
    assert world.after.resident_id is not None
    assert world.outside.resident_id is not None
    report = create_contact_records(
        uow,
        env,
        officer(uow, env),
        resident_id=world.case.resident_id,
        contacts=[world.after.resident_id, world.outside.resident_id],  # outside: ignored
    )
    recolour_batch(SameUnit(uow), env, batch_id=report.batch_id)  # type: ignore[arg-type]
    assert report.added == 1
    assert [colour_of(uow, a) for a in (world.before, world.after, world.outside)] == [
        Colour.GREEN,
        Colour.RED,
        Colour.GREEN,
    ]
    with pytest.raises(NothingSelected):
        create_contact_records(
            uow, env, officer(uow, env), resident_id=world.case.resident_id, contacts=[]
        )


def test_out_of_region_not_a_case_and_bad_window_are_refused(
    uow: UnitOfWork, env: Env, world: World
) -> None:
    assert world.case.resident_id is not None
    assert world.after.resident_id is not None
    with pytest.raises(CaseNotFound):
        trace_case(uow, env, officer(uow, env, "region:110000"), resident_id=world.case.resident_id)
    with pytest.raises(CaseNotFound):  # not confirmed
        trace_case(uow, env, officer(uow, env), resident_id=world.after.resident_id)
    with pytest.raises(InvalidInput):
        trace_case(
            uow, env, officer(uow, env), resident_id=world.case.resident_id, window_minutes=0
        )
    assert [c.resident_id for c in confirmed_cases(uow, officer(uow, env))] == [
        world.case.resident_id
    ]
    assert confirmed_cases(uow, officer(uow, env, "region:110000")) == []
    with pytest.raises(CaseNotFound):
        find_case(uow, env, officer(uow, env), id_number=id_number())  # nobody's
    with pytest.raises(InvalidInput):
        find_case(uow, env, officer(uow, env), id_number="110101199003077777")  # typo
    [number] = [n for a, n in world.numbers if a is world.case]
    assert find_case(uow, env, officer(uow, env), id_number=number).resident_id == (
        world.case.resident_id
    )


def test_possible_exposure_turns_them_yellow_with_its_reason(
    uow: UnitOfWork, env: Env, world: World
) -> None:
    assert world.case.resident_id is not None
    report = create_contact_records(
        uow, env, officer(uow, env), resident_id=world.case.resident_id, kind=ImportKind.EXPOSURE
    )
    recolour_batch(SameUnit(uow), env, batch_id=report.batch_id)  # type: ignore[arg-type]
    assert [colour_of(uow, a) for a in (world.before, world.after, world.outside)] == [
        Colour.YELLOW,
        Colour.YELLOW,
        Colour.GREEN,
    ]
    change = history_of(uow, world.after)[-1]
    assert (change.to_colour, change.rule_ids) == ("yellow", ["BZ-YELLOW-RECORD-EXPOSURE"])
    with pytest.raises(InvalidInput):
        create_contact_records(
            uow, env, officer(uow, env), resident_id=world.case.resident_id, kind=ImportKind.TRAVEL
        )


@pytest.mark.usefixtures("signing_key")
class TestNotTheHolder:
    """A scan the guard found "not the holder" is left out (stop 43, an outside probe):
    X's code shown by someone else 52 s before a case came in made X a close contact."""

    def confirm(self, uow: UnitOfWork, env: Env, number: str) -> None:
        header = ("source_id", "id_number", "start")
        data = csv_bytes([header, ("CASE-NTH", number, "2020-02-23")])
        run_import(uow, env, data, kind=ImportKind.CONFIRMED, file_name="cases.csv")
        later(env)

    def test_a_contacts_scan_reported_not_the_holder_is_left_out(
        self, uow: UnitOfWork, env: Env, market: VenueSummary
    ) -> None:
        guard = operator(uow, env, employer_admin(uow, env, market.organisation_id), market.id)
        x, _ = green_resident(uow, env)
        honest, _ = green_resident(uow, env)
        case, number = green_resident(uow, env)
        token = display_token(uow, env, x.resident_id)
        shown = scans.scan_code(uow, env, guard, venue_id=market.id, token=token)
        releases.report_not_the_holder(uow, env, guard, scan_id=shown.id)
        enter(uow, env, honest, market)
        later(env, 1)
        enter(uow, env, case, market)
        self.confirm(uow, env, number)
        assert case.resident_id is not None
        trace = trace_case(uow, env, officer(uow, env), resident_id=case.resident_id)
        assert [c.resident_id for c in trace.contacts] == [honest.resident_id]
        assert trace.not_the_holder == 1
        report = create_contact_records(uow, env, officer(uow, env), resident_id=case.resident_id)
        recolour_batch(SameUnit(uow), env, batch_id=report.batch_id)  # type: ignore[arg-type]
        assert (colour_of(uow, x), colour_of(uow, honest)) == (Colour.GREEN, Colour.RED)

    def test_the_cases_own_scan_reported_not_the_holder_is_no_visit(
        self, uow: UnitOfWork, env: Env, market: VenueSummary
    ) -> None:
        """Someone else showed the case's code: the case was not there."""
        guard = operator(uow, env, employer_admin(uow, env, market.organisation_id), market.id)
        there, _ = green_resident(uow, env)
        case, number = green_resident(uow, env)
        enter(uow, env, there, market)
        token = display_token(uow, env, case.resident_id)
        shown = scans.scan_code(uow, env, guard, venue_id=market.id, token=token)
        releases.report_not_the_holder(uow, env, guard, scan_id=shown.id)
        self.confirm(uow, env, number)
        assert case.resident_id is not None
        trace = trace_case(uow, env, officer(uow, env), resident_id=case.resident_id)
        assert (trace.visits, trace.contacts, trace.not_the_holder) == ((), (), 1)

    def test_a_report_the_officers_dismissed_leaves_the_scan_in(
        self, uow: UnitOfWork, env: Env, market: VenueSummary
    ) -> None:
        """Dismissed: the holder was there after all, and is traced."""
        guard = operator(uow, env, employer_admin(uow, env, market.organisation_id), market.id)
        x, _ = green_resident(uow, env)
        case, number = green_resident(uow, env)
        token = display_token(uow, env, x.resident_id)
        shown = scans.scan_code(uow, env, guard, venue_id=market.id, token=token)
        opened = releases.report_not_the_holder(uow, env, guard, scan_id=shown.id)
        found = uow.fraud_cases.by_id(opened.id)
        assert found is not None
        found.status = "dismissed"
        later(env, 1)
        enter(uow, env, case, market)
        self.confirm(uow, env, number)
        assert case.resident_id is not None
        trace = trace_case(uow, env, officer(uow, env), resident_id=case.resident_id)
        assert ([c.resident_id for c in trace.contacts], trace.not_the_holder) == (
            [x.resident_id],
            0,
        )


class TestHealthDepartment:
    """An officer scoped to the health department traces (stop 43, an outside probe):
    ``dept:health`` got an empty case list and 404 for every case."""

    @pytest.mark.parametrize("scope", ["dept:health", "dept:health/371602", "dept:health/371600"])
    def test_the_departments_officer_lists_finds_traces_and_makes_records(
        self, uow: UnitOfWork, env: Env, world: World, scope: str
    ) -> None:
        assert world.case.resident_id is not None
        clerk = officer(uow, env, scope)
        assert [c.resident_id for c in confirmed_cases(uow, clerk)] == [world.case.resident_id]
        [number] = [n for a, n in world.numbers if a is world.case]
        assert find_case(uow, env, clerk, id_number=number).resident_id == world.case.resident_id
        trace = trace_case(uow, env, clerk, resident_id=world.case.resident_id)
        assert len(trace.contacts) == 2
        report = create_contact_records(uow, env, clerk, resident_id=world.case.resident_id)
        assert (report.added, report.department) == (2, "health")
        assert report.batch_id in {b.id for b in list_batches(uow, clerk)}

    @pytest.mark.parametrize("scope", ["dept:health/110000", "dept:police", "dept:police/371602"])
    def test_another_region_or_department_reaches_no_case(
        self, uow: UnitOfWork, env: Env, world: World, scope: str
    ) -> None:
        assert world.case.resident_id is not None
        clerk = officer(uow, env, scope)
        assert confirmed_cases(uow, clerk) == []
        with pytest.raises(CaseNotFound):
            trace_case(uow, env, clerk, resident_id=world.case.resident_id)
