"""Venue self check-in (场所码): the resident's current colour recorded as a scan with
no operator; a repeat within 5 minutes is one record; closed and unknown venues refuse."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from healthcode.domain.clock import FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.errors import NotFound
from healthcode.services.codes.health_codes import NoCode
from healthcode.services.scanning import check_ins
from healthcode.services.scanning.check_ins import VenueClosed
from healthcode.services.scanning.venues import VenueSummary
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import id_number
from tests.factories.organisations import organisation
from tests.factories.roster import employer_admin
from tests.factories.scanning import venue
from tests.services.conftest import declare, new_account

POLICY = "binzhou-code"


@pytest.fixture
def market(uow: UnitOfWork, env: Env) -> VenueSummary:
    community = organisation(uow, env, name="黄河五路社区居民委员会")
    return venue(uow, env, employer_admin(uow, env, community.id), community.id, name="银座超市")


def scans_at(uow: UnitOfWork, market: VenueSummary) -> list[t.Scan]:
    uow.flush()
    query = select(t.Scan).where(t.Scan.venue_id == market.id).order_by(t.Scan.scanned_at)
    return list(uow.session.scalars(query))


def test_a_green_resident_checks_in_and_the_entry_is_recorded_without_an_operator(
    uow: UnitOfWork, env: Env, account: t.Account, market: VenueSummary
) -> None:
    declare(uow, env, account)
    done = check_ins.check_in(
        uow, env, resident_id=account.resident_id, code=market.code, policy_id=POLICY
    )
    assert done.may_enter
    assert not done.repeated
    assert (done.venue.name, done.at, done.state.colour) == (
        "银座超市",
        env.clock.now(),
        Colour.GREEN,
    )
    [scan] = scans_at(uow, market)
    assert (scan.id, scan.lane, scan.operator_id, scan.resident_id) == (
        done.scan_id,
        "self_check_in",
        None,
        account.resident_id,
    )
    assert (scan.colour, scan.policy_id, scan.verdict, scan.scanned_at) == (
        "green",
        POLICY,
        None,
        env.clock.now(),
    )


def test_a_red_resident_is_told_not_to_enter_with_the_policys_next_step_and_is_recorded(
    uow: UnitOfWork, env: Env, account: t.Account, market: VenueSummary
) -> None:
    declare(uow, env, account, exposures=[{"kind": "close_contact"}])
    done = check_ins.check_in(
        uow, env, resident_id=account.resident_id, code=market.code, policy_id=POLICY
    )
    assert not done.may_enter
    assert done.state.colour is Colour.RED
    assert done.state.next_step
    assert done.state.next_step["zh"]
    [scan] = scans_at(uow, market)
    assert scan.colour == "red"


def test_a_repeat_within_five_minutes_is_one_record_and_later_a_new_one(
    uow: UnitOfWork, env: Env, clock: FixedClock, account: t.Account, market: VenueSummary
) -> None:
    declare(uow, env, account)

    def again() -> check_ins.CheckIn:
        return check_ins.check_in(
            uow, env, resident_id=account.resident_id, code=market.code, policy_id=POLICY
        )

    clock.advance(timedelta(minutes=3))  # 09:03: the repeat at 09:07:59 is in the next slot
    first = again()
    clock.advance(timedelta(minutes=4, seconds=59))
    repeat = again()
    assert repeat.repeated
    assert repeat.scan_id == first.scan_id
    assert repeat.at == first.at
    clock.advance(timedelta(minutes=1))
    later = again()
    assert not later.repeated
    assert later.scan_id != first.scan_id
    assert [s.id for s in scans_at(uow, market)] == [first.scan_id, later.scan_id]


def test_a_code_not_held_is_refused_and_repeats_are_still_found_after_it(
    uow: UnitOfWork, env: Env, account: t.Account, market: VenueSummary
) -> None:
    """A check-in with a code the resident does not hold was recorded (colour none) and
    took their slot: every later check-in got an id of its own and none was a repeat
    (four rows in a second, found by probing)."""
    declare(uow, env, account)
    with pytest.raises(NoCode):
        check_ins.check_in(
            uow, env, resident_id=account.resident_id, code=market.code, policy_id="shandong-pass"
        )
    done = [
        check_ins.check_in(
            uow, env, resident_id=account.resident_id, code=market.code, policy_id=POLICY
        )
        for _ in range(3)
    ]
    assert [d.repeated for d in done] == [False, True, True]
    assert len(scans_at(uow, market)) == 1


def test_a_link_not_shaped_like_a_venue_code_is_not_found(
    uow: UnitOfWork, env: Env, account: t.Account, market: VenueSummary
) -> None:
    """A NUL in the link was a database error on PostgreSQL (500)."""
    for code in (market.code + "\x00", "../../etc", "x" * 65):
        with pytest.raises(NotFound):
            check_ins.find_venue(uow, code=code)


def test_two_residents_at_the_same_moment_are_two_records(
    uow: UnitOfWork, env: Env, account: t.Account, market: VenueSummary
) -> None:
    other = new_account(uow, env, "13800002222")
    for person in (account, other):
        declare(uow, env, person)
        check_ins.check_in(
            uow, env, resident_id=person.resident_id, code=market.code, policy_id=POLICY
        )
    assert {s.resident_id for s in scans_at(uow, market)} == {
        account.resident_id,
        other.resident_id,
    }


def test_a_colour_change_within_the_window_is_recorded_again(
    uow: UnitOfWork, env: Env, clock: FixedClock, account: t.Account, market: VenueSummary
) -> None:
    number = id_number()
    declare(uow, env, account, id_number=number)
    first = check_ins.check_in(
        uow, env, resident_id=account.resident_id, code=market.code, policy_id=POLICY
    )
    clock.advance(timedelta(minutes=1))
    declare(uow, env, account, id_number=number, exposures=[{"kind": "close_contact"}])
    second = check_ins.check_in(
        uow, env, resident_id=account.resident_id, code=market.code, policy_id=POLICY
    )
    assert not second.repeated
    assert second.scan_id != first.scan_id
    assert [s.colour for s in scans_at(uow, market)] == ["green", "red"]


def test_an_unknown_code_is_not_found_and_a_closed_venue_refuses(
    uow: UnitOfWork, env: Env, account: t.Account, market: VenueSummary
) -> None:
    declare(uow, env, account)
    with pytest.raises(NotFound):
        check_ins.check_in(
            uow, env, resident_id=account.resident_id, code="no-such-code", policy_id=POLICY
        )
    row = uow.venues.by_code(market.code)
    assert row is not None
    row.status = "closed"
    with pytest.raises(VenueClosed):
        check_ins.check_in(
            uow, env, resident_id=account.resident_id, code=market.code, policy_id=POLICY
        )
    assert scans_at(uow, market) == []


def test_a_resident_without_a_code_is_refused(
    uow: UnitOfWork, env: Env, account: t.Account, market: VenueSummary
) -> None:
    with pytest.raises(NoCode):
        check_ins.check_in(uow, env, resident_id=None, code=market.code, policy_id=POLICY)
    assert scans_at(uow, market) == []


def test_a_gate_mode_venue_refuses_a_red_check_in_outright(
    uow: UnitOfWork, env: Env, account: t.Account
) -> None:
    firm = organisation(uow, env, name="渤海示范机械有限公司门岗所在社区")
    gate = venue(
        uow, env, employer_admin(uow, env, firm.id), firm.id, name="厂区东门", gate_mode=True
    )
    declare(uow, env, account, exposures=[{"kind": "close_contact"}])
    done = check_ins.check_in(
        uow, env, resident_id=account.resident_id, code=gate.code, policy_id=POLICY
    )
    assert not done.may_enter
    [scan] = scans_at(uow, gate)
    assert (scan.colour, scan.verdict) == ("red", "gate_mode")


def test_check_ins_at_two_distant_venues_within_minutes_are_flagged(
    uow: UnitOfWork, env: Env, clock: FixedClock, account: t.Account
) -> None:
    community = organisation(uow, env, name="黄河五路社区居民委员会")
    admin = employer_admin(uow, env, community.id)
    binzhou = venue(uow, env, admin, community.id, latitude=37.38, longitude=117.97)
    jinan = venue(uow, env, admin, community.id, latitude=36.65, longitude=117.12)
    declare(uow, env, account)
    check_ins.check_in(
        uow, env, resident_id=account.resident_id, code=binzhou.code, policy_id=POLICY
    )
    clock.advance(timedelta(minutes=3))
    check_ins.check_in(uow, env, resident_id=account.resident_id, code=jinan.code, policy_id=POLICY)
    [first] = scans_at(uow, binzhou)
    [second] = scans_at(uow, jinan)
    assert first.flags == []
    assert [f["code"] for f in second.flags] == ["distant_venues"]
