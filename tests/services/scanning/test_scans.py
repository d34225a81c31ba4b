"""Scan and release: what the operator is told, what is recorded, and who may do it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from healthcode.domain.checkpoint import Decision
from healthcode.domain.clock import FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.errors import Forbidden, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.tokens import CodeClaims
from healthcode.services.accounts import sessions
from healthcode.services.accounts.permissions import Permission, Principal, Role
from healthcode.services.accounts.sessions import Caller
from healthcode.services.codes.health_codes import verify_scanned
from healthcode.services.scanning import lookups, releases, scans
from healthcode.services.scanning.releases import NotReleasable
from healthcode.services.scanning.scans import ScanResult
from healthcode.services.scanning.venues import VenueSummary, signed_in_gate
from healthcode.services.shared.env import Env
from healthcode.services.shared.lists import ensure_list_key, federate_region
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.domain.tokens import foreign_factory as ff
from tests.domain.tokens.foreign_factory import ForeignIssuer
from tests.factories.inputs import id_number
from tests.factories.organisations import organisation
from tests.factories.roster import employer_admin
from tests.factories.scanning import display_token, operator, venue
from tests.services.conftest import declare, report, statements
from tests.services.scanning.conftest import JINAN


def scan(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    gate: VenueSummary,
    token: str,
    *,
    client_id: str | None = None,
) -> ScanResult:
    return scans.scan_code(uow, env, who, venue_id=gate.id, token=token, client_id=client_id)


def later(env: Env, delta: timedelta) -> None:
    assert isinstance(env.clock, FixedClock)
    env.clock.advance(delta)


class TestScan:
    def test_a_green_code_is_released_after_the_health_check_and_both_are_recorded(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
    ) -> None:
        result = scan(uow, env, guard, gate, display_token(uow, env, green.resident_id))
        assert result.decision is Decision.RELEASE
        assert result.colour is Colour.GREEN
        assert result.masked_name == "张*"
        assert result.action is not None
        assert result.headline is not None
        assert (result.headline["zh"], result.action["zh"]) == (  # binzhou-code, seed 003
            "健康检查后放行",
            "进行健康检查后，点击确认放行。",
        )
        released = releases.release(uow, env, guard, scan_id=result.id, temperature=36.6)
        assert released.released_at == env.clock.now()
        row = uow.scans.by_id(result.id)
        assert row is not None
        assert (row.temperature, row.released_by, row.resident_id) == (
            36.6,
            guard.account_id,
            green.resident_id,
        )
        assert row.token_fingerprint is not None
        assert row.lane == "camera"

    def test_a_fever_is_not_released(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
    ) -> None:
        result = scan(uow, env, guard, gate, display_token(uow, env, green.resident_id))
        refused = releases.release(uow, env, guard, scan_id=result.id, temperature=37.3)
        assert refused.released_at is None
        assert refused.verdict == "fever"
        assert refused.decision is Decision.REFUSED

    def test_a_reading_after_the_release_is_refused_by_name_not_dropped(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
    ) -> None:
        """A fever typed after the tap that released the person was answered 200 and
        lost; the same tap again (or with the same reading) still changes nothing."""
        result = scan(uow, env, guard, gate, display_token(uow, env, green.resident_id))
        released = releases.release(uow, env, guard, scan_id=result.id)
        assert releases.release(uow, env, guard, scan_id=result.id) == released
        with pytest.raises(releases.NotReleasable) as caught:
            releases.release(uow, env, guard, scan_id=result.id, temperature=38.1)
        assert caught.value.code == "already_released"
        assert "Scan their code again" in caught.value.message
        again = scan(uow, env, guard, gate, display_token(uow, env, green.resident_id))
        fever = releases.release(uow, env, guard, scan_id=again.id, temperature=38.1)
        assert (fever.verdict, fever.released_at) == ("fever", None)

    def test_a_second_reading_after_a_fever_is_sent_to_a_new_scan_by_name(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
    ) -> None:
        """A guard who measures again after a fever (a forehead reading in the sun) is
        told the first reading stands on this scan and to scan the code again, not
        that only a valid green code is released: the code is green."""
        result = scan(uow, env, guard, gate, display_token(uow, env, green.resident_id))
        releases.release(uow, env, guard, scan_id=result.id, temperature=37.6)
        with pytest.raises(releases.NotReleasable) as caught:
            releases.release(uow, env, guard, scan_id=result.id, temperature=36.5)
        assert caught.value.code == "fever_recorded"
        assert caught.value.params["temperature"] == 37.6
        assert "scan their code again" in caught.value.message
        again = scan(uow, env, guard, gate, display_token(uow, env, green.resident_id))
        released = releases.release(uow, env, guard, scan_id=again.id, temperature=36.5)
        assert released.released_at is not None

    def test_a_temperature_no_body_has_is_refused_by_name(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
    ) -> None:
        result = scan(uow, env, guard, gate, display_token(uow, env, green.resident_id))
        with pytest.raises(InvalidInput) as caught:
            releases.release(uow, env, guard, scan_id=result.id, temperature=25.0)
        assert caught.value.errors[0].field == "temperature"

    def test_a_yellow_code_is_stopped_with_the_policys_next_step_and_not_released(
        self,
        uow: UnitOfWork,
        env: Env,
        guard: Principal,
        gate: VenueSummary,
        account: t.Account,
        signing_key: None,
    ) -> None:
        declare(uow, env, account, temperature=38.2)
        result = scan(uow, env, guard, gate, display_token(uow, env, account.resident_id))
        assert (result.decision, result.colour, result.verdict) == (
            Decision.STOP,
            Colour.YELLOW,
            None,
        )
        assert result.action is not None
        assert "隔离观察14天" in result.action["zh"]
        with pytest.raises(NotReleasable):
            releases.release(uow, env, guard, scan_id=result.id)

    def test_gate_mode_refuses_yellow_outright(
        self,
        uow: UnitOfWork,
        env: Env,
        admin: Principal,
        community: t.Organisation,
        account: t.Account,
        signing_key: None,
    ) -> None:
        firm_gate = venue(uow, env, admin, community.id, gate_mode=True)
        guard = operator(uow, env, admin, firm_gate.id)
        declare(uow, env, account, temperature=38.2)
        result = scan(uow, env, guard, firm_gate, display_token(uow, env, account.resident_id))
        assert (result.decision, result.verdict) == (Decision.REFUSED, "gate_mode")

    def test_a_screenshot_a_minute_later_is_refused_as_expired(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
    ) -> None:
        token = display_token(uow, env, green.resident_id)
        later(env, timedelta(minutes=3))
        result = scan(uow, env, guard, gate, token)
        assert (result.decision, result.verdict, result.colour) == (
            Decision.REFUSED,
            "expired",
            Colour.GREEN,
        )
        assert uow.scans.by_id(result.id) is not None  # the refusal is recorded too

    def test_a_revoked_code_is_refused_for_its_operator_and_the_venues_administrator(
        self,
        uow: UnitOfWork,
        env: Env,
        admin: Principal,
        guard: Principal,
        gate: VenueSummary,
        green: t.Account,
    ) -> None:
        token = display_token(uow, env, green.resident_id)
        claims = verify_scanned(uow, env, text=token).claims
        assert isinstance(claims, CodeClaims)
        revoked_at = env.clock.now()
        uow.add(t.Revocation(token_id=claims.token_id, revoked_at=revoked_at, reason="lost"))
        uow.session.flush()
        for who in (guard, admin):  # the venue's query asks the list; the fallback too
            result = scan(uow, env, who, gate, token)
            assert (result.decision, result.verdict, result.colour) == (
                Decision.REFUSED,
                "revoked",
                Colour.GREEN,
            )

    def test_an_operators_scan_is_one_query_and_one_insert(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
    ) -> None:
        """The gate's hot path: the venue, the revocation list, whose code it is and
        the scans the flags look at are asked together."""
        token = display_token(uow, env, green.resident_id)
        scan(uow, env, guard, gate, token)  # the keys are read, as a running server has them
        with statements(uow) as sent:
            result = scan(uow, env, guard, gate, token)
        assert [statement.split()[0] for statement in sent] == ["SELECT", "INSERT"]
        row = uow.scans.by_id(result.id)
        assert row is not None
        assert row.resident_id == green.resident_id

    def test_a_code_made_before_a_fever_report_is_refused_by_the_colour_now(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
    ) -> None:
        """A display token lives a minute (a phone's attestation an hour): one made
        before the resident reported a fever was released as green (an outside probe)."""
        token = display_token(uow, env, green.resident_id)
        assert scan(uow, env, guard, gate, token).decision is Decision.RELEASE
        assert report(uow, env, green, temperature=38.6).colour is Colour.YELLOW
        uow.commit()  # the colour cache forgets the resident's colour after the commit
        result = scan(uow, env, guard, gate, token)
        assert (result.decision, result.verdict, result.colour) == (
            Decision.REFUSED,
            "colour_changed",
            Colour.YELLOW,
        )
        assert result.action is not None
        assert "隔离观察14天" in result.action["zh"]  # the words for yellow, seed 003
        fresh = scan(uow, env, guard, gate, display_token(uow, env, green.resident_id))
        assert (fresh.decision, fresh.verdict) == (Decision.STOP, None)

    def test_a_release_after_the_colour_worsened_is_refused(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
    ) -> None:
        """The tap minutes after the scan released a person whose code had turned
        yellow meanwhile (an outside probe)."""
        result = scan(uow, env, guard, gate, display_token(uow, env, green.resident_id))
        report(uow, env, green, temperature=38.6)
        uow.commit()
        with pytest.raises(releases.ColourChanged) as caught:
            releases.release(uow, env, guard, scan_id=result.id, temperature=36.5)
        assert caught.value.params["colour"] == "Yellow code"
        row = uow.scans.by_id(result.id)
        assert row is not None
        assert row.released_at is None

    def test_a_retried_client_id_is_recorded_once(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
    ) -> None:
        token = display_token(uow, env, green.resident_id)
        first = scan(uow, env, guard, gate, token, client_id="phone-1:0001")
        again = scan(uow, env, guard, gate, token, client_id="phone-1:0001")
        assert (again.id, again.duplicate, first.duplicate) == (first.id, True, False)


def _scanner(principal: Principal) -> Principal:
    """What the scan route demands of its caller (``hop(Permission.SCAN)``)."""
    if not principal.can(Permission.SCAN):
        raise Forbidden(N_("You do not have permission to do this"))
    return principal


def caller_of(uow: UnitOfWork, env: Env, account_id: uuid.UUID | None) -> Caller:
    """A new session of the account, as a request hands it to the scan: unchecked."""
    account = uow.accounts.by_id(account_id) if account_id else None
    assert account is not None
    issued = sessions.open_session(uow, env, account, client="127.0.0.1", user_agent="test")
    return Caller(issued.token, _scanner)


class TestSignedInAtTheGate:
    """The route hands the scan its caller unchecked (``Caller``): the session is read
    and checked in the venue's query, and refused there as anywhere else."""

    def test_the_session_is_read_with_the_venue_and_the_scan_is_the_operators(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
    ) -> None:
        token = display_token(uow, env, green.resident_id)
        caller = caller_of(uow, env, guard.account_id)
        scan(uow, env, guard, gate, token)  # the keys are read, as a running server has them
        with statements(uow) as sent:
            result = scans.scan_code(uow, env, caller, venue_id=gate.id, token=token)
        assert [statement.split()[0] for statement in sent] == ["SELECT", "INSERT"]
        assert (result.decision, result.colour) == (Decision.RELEASE, Colour.GREEN)
        row = uow.scans.by_id(result.id)
        assert row is not None
        assert (row.operator_id, row.resident_id) == (guard.account_id, green.resident_id)

    def test_a_session_that_no_longer_admits_is_refused_and_nothing_is_recorded(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
    ) -> None:
        token = display_token(uow, env, green.resident_id)
        logged_out = caller_of(uow, env, guard.account_id)
        assert logged_out.token is not None
        sessions.logout(uow, env, token=logged_out.token)
        expired = caller_of(uow, env, guard.account_id)
        refused = [Caller(None, _scanner), Caller("x" * 300, _scanner), Caller("nope", _scanner)]
        for caller in [*refused, logged_out]:
            with pytest.raises(sessions.NotAuthenticated):
                scans.scan_code(uow, env, caller, venue_id=gate.id, token=token)
        later(env, timedelta(hours=env.settings.staff_session_hours, seconds=1))
        with pytest.raises(sessions.NotAuthenticated):
            scans.scan_code(uow, env, expired, venue_id=gate.id, token=token)
        disabled = caller_of(uow, env, guard.account_id)
        account = uow.accounts.by_id(guard.account_id)
        assert account is not None
        account.disabled_at = env.clock.now()
        with pytest.raises(sessions.NotAuthenticated):
            scans.scan_code(uow, env, disabled, venue_id=gate.id, token=token)
        assert uow.session.scalar(select(func.count()).select_from(t.Scan)) == 0

    def test_a_resident_is_forbidden_and_another_venues_operator_finds_nothing(
        self,
        uow: UnitOfWork,
        env: Env,
        admin: Principal,
        community: t.Organisation,
        gate: VenueSummary,
        green: t.Account,
    ) -> None:
        token = display_token(uow, env, green.resident_id)
        with pytest.raises(Forbidden):
            scans.scan_code(uow, env, caller_of(uow, env, green.id), venue_id=gate.id, token=token)
        stranger = operator(uow, env, admin, venue(uow, env, admin, community.id).id)
        caller = caller_of(uow, env, stranger.account_id)
        with pytest.raises(NotFound):
            scans.scan_code(uow, env, caller, venue_id=gate.id, token=token)
        assert uow.session.scalar(select(func.count()).select_from(t.Scan)) == 0

    @pytest.mark.parametrize("scope", ["3:abc", "0:", "a\nb", "区:域", "region:371602\n"])
    def test_the_roles_read_with_the_venue_are_the_sessions_whatever_their_scopes(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, scope: str
    ) -> None:
        """Read as one text beside the venue's rows (``ROLES_TEXT``): no scope can
        read as another, or as two (an empty one would be the whole deployment)."""
        uow.accounts.hold(guard.account_id, Role.AUDITOR.value, scope)
        caller = caller_of(uow, env, guard.account_id)
        who, _ = signed_in_gate(
            uow, caller, gate.id, None, None, federation=False, now=env.clock.now()
        )
        assert caller.token is not None
        expected = sessions.authenticate(uow, env, token=caller.token)
        assert expected is not None
        assert who.roles == expected.roles
        assert (Role.AUDITOR, scope) in who.roles
        assert (Role.AUDITOR, "") not in who.roles


class TestFlags:
    def test_the_same_display_token_at_a_second_venue_is_flagged(
        self,
        uow: UnitOfWork,
        env: Env,
        admin: Principal,
        community: t.Organisation,
        guard: Principal,
        gate: VenueSummary,
        green: t.Account,
    ) -> None:
        other = venue(uow, env, admin, community.id, name="西门卡口")
        token = display_token(uow, env, green.resident_id)
        assert scan(uow, env, guard, gate, token).flags == ()
        later(env, timedelta(seconds=20))
        flagged = scan(uow, env, operator(uow, env, admin, other.id), other, token)
        assert [f["code"] for f in flagged.flags] == ["same_token_elsewhere"]
        assert flagged.flags[0]["venue"] == "东门卡口"

    def test_one_residents_codes_at_distant_venues_within_minutes_are_flagged(
        self,
        uow: UnitOfWork,
        env: Env,
        guard: Principal,
        gate: VenueSummary,
        green: t.Account,
    ) -> None:
        jinan, admin = organisation_in(uow, env, "370102")
        far = venue(uow, env, admin, jinan.id, latitude=36.6512, longitude=117.1201)
        scan(uow, env, guard, gate, display_token(uow, env, green.resident_id))
        later(env, timedelta(minutes=4))
        token = display_token(uow, env, green.resident_id)
        flagged = scan(uow, env, operator(uow, env, admin, far.id), far, token)
        assert [f["code"] for f in flagged.flags] == ["distant_venues"]
        assert 90 < float(flagged.flags[0]["km"]) < 130  # type: ignore[arg-type]

    def test_without_coordinates_different_counties_are_distant_and_the_same_county_is_not(
        self,
        uow: UnitOfWork,
        env: Env,
        admin: Principal,
        community: t.Organisation,
        green: t.Account,
    ) -> None:
        here = venue(uow, env, admin, community.id)
        same_county = venue(uow, env, admin, community.id)
        jinan, jinan_admin = organisation_in(uow, env, "370102")
        there = venue(uow, env, jinan_admin, jinan.id)
        scan(
            uow,
            env,
            operator(uow, env, admin, here.id),
            here,
            display_token(uow, env, green.resident_id),
        )
        later(env, timedelta(minutes=2))
        near = scan(
            uow,
            env,
            operator(uow, env, admin, same_county.id),
            same_county,
            display_token(uow, env, green.resident_id),
        )
        assert near.flags == ()
        later(env, timedelta(minutes=2))
        far = scan(
            uow,
            env,
            operator(uow, env, jinan_admin, there.id),
            there,
            display_token(uow, env, green.resident_id),
        )
        assert [f["code"] for f in far.flags] == ["distant_venues"]
        later(env, timedelta(minutes=30))
        hours_later = scan(
            uow,
            env,
            operator(uow, env, admin, here.id),
            here,
            display_token(uow, env, green.resident_id),
        )
        assert hours_later.flags == ()  # hours apart: a trip, not a borrowed code

    def test_the_same_code_or_person_again_at_this_venue_is_flagged_with_the_earlier_time(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
    ) -> None:
        """Person A shows the code and passes, then hands the phone (or a screenshot)
        back to B in the queue: the guard is told when it was scanned here, and still
        decides (both remain releasable; no fraud case is opened by a hint)."""
        token = display_token(uow, env, green.resident_id)
        first = scan(uow, env, guard, gate, token)
        assert first.flags == ()
        later(env, timedelta(seconds=20))
        again = scan(uow, env, guard, gate, token)
        assert [f["code"] for f in again.flags] == ["same_token_here"]
        assert datetime.fromisoformat(str(again.flags[0]["at"])) == first.scanned_at
        assert (first.releasable, again.releasable) == (True, True)
        later(env, timedelta(minutes=2))  # a fresh code of the same person
        fresh = scan(uow, env, guard, gate, display_token(uow, env, green.resident_id))
        assert [f["code"] for f in fresh.flags] == ["same_person_here"]
        assert datetime.fromisoformat(str(fresh.flags[0]["at"])) == again.scanned_at
        row = uow.scans.by_id(fresh.id)
        assert row is not None
        assert [f["code"] for f in row.flags] == ["same_person_here"]
        assert uow.session.scalar(select(func.count()).select_from(t.FraudCase)) == 0
        later(env, timedelta(minutes=11))  # outside the window: a new visit
        assert scan(uow, env, guard, gate, display_token(uow, env, green.resident_id)).flags == ()

    @pytest.mark.parametrize("by", ["operator", "administrator", "id_card"])
    def test_a_scan_at_a_distant_venue_is_flagged_past_many_scans_here(
        self,
        uow: UnitOfWork,
        env: Env,
        gate: VenueSummary,
        guard: Principal,
        admin: Principal,
        account: t.Account,
        signing_key: None,
        by: str,
    ) -> None:
        """The flags' query took the 20 latest scans of the resident at any venue: 25
        here within the window hid the one at a distant venue before them, and the
        gate was not told. This venue's scans no longer count against the 20."""
        number = id_number()
        declare(uow, env, account, id_number=number)
        jinan, jinan_admin = organisation_in(uow, env, "370102")
        far = venue(uow, env, jinan_admin, jinan.id, latitude=JINAN[0], longitude=JINAN[1])
        there = operator(uow, env, jinan_admin, far.id)
        scan(uow, env, there, far, display_token(uow, env, account.resident_id))
        for _ in range(25):
            later(env, timedelta(seconds=5))
            scan(uow, env, guard, gate, display_token(uow, env, account.resident_id))
        later(env, timedelta(seconds=5))
        token = display_token(uow, env, account.resident_id)
        if by == "id_card":  # the resident known by the number: asked on its own
            card = lookups.check_id_card
            flagged = card(uow, env, guard, venue_id=gate.id, id_number=number, token=token)
        else:
            flagged = scan(uow, env, guard if by == "operator" else admin, gate, token)
        assert [f["code"] for f in flagged.flags] == ["same_token_here", "distant_venues"]
        assert flagged.flags[1]["venue_id"] == str(far.id)

    def test_a_retried_scan_is_not_flagged_and_a_flagged_scan_is_still_one_insert(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
    ) -> None:
        token = display_token(uow, env, green.resident_id)
        first = scan(uow, env, guard, gate, token, client_id="phone-1:0001")
        again = scan(uow, env, guard, gate, token, client_id="phone-1:0001")
        assert (again.id, again.duplicate, again.flags) == (first.id, True, ())
        with statements(uow) as sent:
            flagged = scan(uow, env, guard, gate, token)
        assert [statement.split()[0] for statement in sent] == ["SELECT", "INSERT"]
        assert [f["code"] for f in flagged.flags] == ["same_token_here"]


class TestNotTheHolder:
    def test_one_tap_opens_one_fraud_case_and_refuses_the_scan(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
    ) -> None:
        result = scan(uow, env, guard, gate, display_token(uow, env, green.resident_id))
        case = releases.report_not_the_holder(uow, env, guard, scan_id=result.id)
        again = releases.report_not_the_holder(uow, env, guard, scan_id=result.id)
        assert (case.status, case.new, again.new, again.id) == ("open", True, False, case.id)
        shown = scans.show_scan(uow, env, guard, scan_id=result.id)
        assert (shown.verdict, shown.releasable) == ("not_the_holder", False)
        events = uow.audit.of_resident(green.resident_id)  # type: ignore[arg-type]
        assert "scan.not_the_holder" in [e.action for e in events]


class TestScope:
    def test_an_operator_of_another_venue_finds_neither_the_venue_nor_its_scans(
        self,
        uow: UnitOfWork,
        env: Env,
        admin: Principal,
        community: t.Organisation,
        guard: Principal,
        gate: VenueSummary,
        green: t.Account,
    ) -> None:
        other = venue(uow, env, admin, community.id)
        stranger = operator(uow, env, admin, other.id)
        token = display_token(uow, env, green.resident_id)
        with pytest.raises(NotFound):
            scan(uow, env, stranger, gate, token)
        result = scan(uow, env, guard, gate, token)
        with pytest.raises(NotFound):
            releases.release(uow, env, stranger, scan_id=result.id)
        with pytest.raises(NotFound):
            releases.report_not_the_holder(uow, env, stranger, scan_id=result.id)


def organisation_in(uow: UnitOfWork, env: Env, region: str) -> tuple[t.Organisation, Principal]:
    found = organisation(uow, env, region=region, name="历下区某社区居民委员会")
    return found, employer_admin(uow, env, found.id)


class TestAnotherRegionsCode:
    """Another region's code checks the regions it was verified with in the venue's
    query; a region imported or re-imported since is used at its first scan."""

    @staticmethod
    def federate(uow: UnitOfWork, env: Env, region: Mapping[str, Any]) -> ForeignIssuer:
        now = env.clock.now()
        issuer = ff.p256_issuer(region["code"], region["prefixes"][0], now - timedelta(days=1))
        ensure_list_key(uow, env.protector, now=now)
        document = {"region": region, "keys": [issuer.entry]}
        federate_region(uow, env.protector, env.settings, document=document, now=now)
        return issuer

    @pytest.fixture
    def hubei(self, uow: UnitOfWork, env: Env, signing_key: None) -> ForeignIssuer:
        return self.federate(uow, env, ff.HUBEI)

    def test_a_scan_of_it_is_one_query_and_one_insert(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, hubei: ForeignIssuer
    ) -> None:
        token = hubei.sign(ff.foreign_claims(env.clock.now() - timedelta(minutes=5), colour=0))
        assert scan(uow, env, guard, gate, token).decision is Decision.RELEASE  # parsed, kept
        with statements(uow) as sent:
            result = scan(uow, env, guard, gate, token)
        assert [statement.split()[0] for statement in sent] == ["SELECT", "INSERT"]
        assert (result.decision, result.colour) == (Decision.RELEASE, Colour.GREEN)

    def test_a_region_imported_or_re_imported_after_the_last_scan_is_used_at_once(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, hubei: ForeignIssuer
    ) -> None:
        claims = ff.foreign_claims(env.clock.now() - timedelta(minutes=5), colour=0)
        assert scan(uow, env, guard, gate, hubei.sign(claims)).decision is Decision.RELEASE
        zhejiang = self.federate(uow, env, ff.ZHEJIANG)  # a region the cache has not seen
        first = scan(uow, env, guard, gate, zhejiang.sign(claims))
        assert first.foreign is not None  # read as its region's, valid (its colour untold)
        assert (first.foreign.region_code, first.verdict) == ("330000", None)
        rotated = self.federate(uow, env, ff.HUBEI)  # the old key retired with it
        assert scan(uow, env, guard, gate, hubei.sign(claims)).verdict == "unknown_key"
        assert scan(uow, env, guard, gate, rotated.sign(claims)).decision is Decision.RELEASE
