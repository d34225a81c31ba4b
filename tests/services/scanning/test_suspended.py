"""A suspended organisation's checkpoints scan nothing until it is reactivated: a scan
(its operator's, signed in at the gate, or an administrator's), the ID-card lane, a
release and an offline upload's every item are refused as ``organisation_suspended``,
and nothing is recorded. A scan that starts after the suspension committed is refused
(PostgreSQL and SQLite, real commits); one already on its way may still land."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.services.accounts.permissions import Principal
from healthcode.services.organisations.registry import OrganisationSuspended
from healthcode.services.scanning import lookups, releases, scans, uploads
from healthcode.services.scanning.scans import ScanResult
from healthcode.services.scanning.uploads import OfflineScan
from healthcode.services.scanning.venues import VenueSummary
from healthcode.services.shared.env import Env
from healthcode.services.shared.keys import ensure_signing_key
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories.organisations import organisation
from tests.factories.roster import employer_admin, set_suspended
from tests.factories.scanning import display_token, operator, venue
from tests.services.conftest import declare, new_account
from tests.services.scanning.test_scans import caller_of

PAUSED = "Your organisation is suspended: its checkpoints cannot scan codes until it is reactivated"


def scanned(uow: UnitOfWork) -> int:
    return uow.session.scalar(select(func.count()).select_from(t.Scan)) or 0


def refused(attempt: Callable[..., object], *args: object, **kwargs: object) -> None:
    with pytest.raises(OrganisationSuspended) as error:
        attempt(*args, **kwargs)
    assert (error.value.status, error.value.code, error.value.message) == (
        409,
        "organisation_suspended",
        PAUSED,
    )


class TestSuspended:
    def test_every_lane_is_refused_and_reactivation_gives_them_back(
        self,
        uow: UnitOfWork,
        env: Env,
        community: t.Organisation,
        admin: Principal,
        guard: Principal,
        gate: VenueSummary,
        green: t.Account,
    ) -> None:
        token = display_token(uow, env, green.resident_id)
        before = scans.scan_code(uow, env, guard, venue_id=gate.id, token=token)
        assert before.releasable
        set_suspended(uow, env, community.id, True)
        count = scanned(uow)

        for who in (guard, admin, caller_of(uow, env, guard.account_id)):
            refused(scans.scan_code, uow, env, who, venue_id=gate.id, token=token)
        number = "370102198805170011"
        refused(lookups.check_id_card, uow, env, guard, venue_id=gate.id, id_number=number)
        refused(releases.release, uow, env, guard, scan_id=before.id)
        offline = [
            OfflineScan("q-1", token, env.clock.now()),
            OfflineScan("q-2", "not a code", env.clock.now()),
        ]
        upload = uploads.upload_scans(uow, env, guard, venue_id=gate.id, scans=offline)
        assert (upload.accepted, upload.duplicates) == ((), ())
        said = [(r.client_id, r.reason, r.field, r.recorded, r.message) for r in upload.refused]
        assert said == [
            ("q-1", "organisation_suspended", "venue", False, PAUSED),
            ("q-2", "organisation_suspended", "venue", False, PAUSED),
        ]
        assert scanned(uow) == count  # nothing recorded
        assert scans.show_scan(uow, env, guard, scan_id=before.id).id == before.id  # still read

        set_suspended(uow, env, community.id, False)
        assert releases.release(uow, env, guard, scan_id=before.id).released_at is not None
        caller = caller_of(uow, env, guard.account_id)
        assert scans.scan_code(uow, env, caller, venue_id=gate.id, token=token).releasable
        upload = uploads.upload_scans(uow, env, guard, venue_id=gate.id, scans=offline[:1])
        assert upload.accepted == ("q-1",)

    def test_an_offline_scan_made_before_the_suspension_is_recorded(
        self, uow: UnitOfWork, env: Env, community: t.Organisation, guard: Principal,
        gate: VenueSummary, green: t.Account,
    ) -> None:  # fmt: skip
        """The guard's scanner was offline: its queue, uploaded after the suspension,
        holds a scan made while the gate was open (recorded) and one made after
        (refused, not recorded)."""
        token, shown = display_token(uow, env, green.resident_id), env.clock.now()
        env.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
        set_suspended(uow, env, community.id, True)
        queued = [
            OfflineScan("q-before", token, shown + timedelta(seconds=30)),
            OfflineScan("q-after", token, env.clock.now()),
        ]
        upload = uploads.upload_scans(uow, env, guard, venue_id=gate.id, scans=queued)
        assert upload.accepted == ("q-before",)
        said = [(r.client_id, r.reason, r.recorded) for r in upload.refused]
        assert said == [("q-after", "organisation_suspended", False)]
        kept = uow.session.scalars(select(t.Scan.client_id).where(t.Scan.venue_id == gate.id))
        assert "q-before" in set(kept)

    def test_another_organisations_gate_scans_on(
        self, uow: UnitOfWork, env: Env, community: t.Organisation, green: t.Account
    ) -> None:
        other = organisation(uow, env, name="渤海七路社区居民委员会")
        boss = employer_admin(uow, env, other.id)
        there = venue(uow, env, boss, other.id)
        guard = operator(uow, env, boss, there.id)
        set_suspended(uow, env, community.id, True)
        token = display_token(uow, env, green.resident_id)
        assert scans.scan_code(uow, env, guard, venue_id=there.id, token=token).releasable


def _committed(engine: Engine) -> Iterator[sessionmaker[Session]]:
    factory = sessionmaker(engine, expire_on_commit=False)
    yield factory
    with factory.begin() as session:
        for table in (t.Scan, t.AuditEvent, t.Venue, t.Resident, t.Account, t.Organisation):
            session.execute(delete(table))
        session.execute(delete(t.SigningKey))


@pytest.fixture
def committed(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions that really commit on their own connections; emptied afterwards."""
    yield from _committed(engine)


@pytest.fixture
def committed_pg(postgresql_engine: Engine) -> Iterator[sessionmaker[Session]]:
    yield from _committed(postgresql_engine)


class World:
    """A community's gate, its guard and a green resident, committed."""

    def __init__(self, units: UnitOfWorkFactory, env: Env) -> None:
        with units() as uow:
            ensure_signing_key(uow, env.protector, now=env.clock.now())
            self.community = organisation(uow, env, name="黄河五路社区居民委员会").id
            admin = employer_admin(uow, env, self.community)
            self.gate = venue(uow, env, admin, self.community).id
            self.guard = operator(uow, env, admin, self.gate).account_id
            account = new_account(uow, env, "13800001111")
            declare(uow, env, account)
            self.token = display_token(uow, env, account.resident_id)

    def scan(self, units: UnitOfWorkFactory, env: Env) -> ScanResult:
        with units() as uow:
            caller = caller_of(uow, env, self.guard)
            return scans.scan_code(uow, env, caller, venue_id=self.gate, token=self.token)


class TestAcrossTransactions:
    def test_a_scan_after_the_suspension_committed_is_refused(
        self, committed: sessionmaker[Session], env: Env
    ) -> None:
        units = UnitOfWorkFactory(committed)
        world = World(units, env)
        assert world.scan(units, env).releasable
        with units() as uow:
            set_suspended(uow, env, world.community, True)
        refused(world.scan, units, env)
        with units() as uow:
            set_suspended(uow, env, world.community, False)
        assert world.scan(units, env).releasable

    def test_a_scan_while_the_suspension_is_on_its_way_neither_waits_nor_is_refused(
        self, committed_pg: sessionmaker[Session], env: Env
    ) -> None:
        """PostgreSQL (SQLite has one writer at a time: there a scan waits for any write):
        the gate does not queue behind an administrator's transaction."""
        units = UnitOfWorkFactory(committed_pg)
        world = World(units, env)
        outcome: list[object] = []

        def gate() -> None:
            outcome.append(world.scan(units, env))

        with units() as uow:
            set_suspended(uow, env, world.community, True)  # its row locked, not committed
            racer = threading.Thread(target=gate)
            racer.start()
            racer.join(timeout=30)
            assert not racer.is_alive(), "the scan waited for the suspension"
        [result] = outcome
        assert isinstance(result, ScanResult)
        assert result.releasable
        refused(world.scan, units, env)
