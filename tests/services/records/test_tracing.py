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
from healthcode.services.scanning import check_ins
from healthcode.services.scanning.venues import VenueSummary
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import id_number
from tests.factories.organisations import organisation
from tests.factories.roster import employer_admin
from tests.factories.scanning import venue
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
