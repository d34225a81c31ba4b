"""A gate's scan on PostgreSQL as the route runs it (``Hop.run_unchecked``): a unit of
one write outside any transaction, or, when the scan needs more than one write, the
whole work again in a transaction with nothing written twice."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, text

from healthcode.config import Settings
from healthcode.domain.checkpoint import Decision
from healthcode.domain.clock import SystemClock
from healthcode.domain.errors import Forbidden
from healthcode.domain.i18n import N_
from healthcode.http.hop import Hop
from healthcode.services.accounts import sessions
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.accounts.sessions import Caller
from healthcode.services.scanning import scans
from healthcode.services.shared.env import Env, make_env
from healthcode.services.shared.keys import ensure_signing_key
from healthcode.store import tables as t
from healthcode.store.db import session_factory
from healthcode.store.uow import NeedsTransaction, UnitOfWork, UnitOfWorkFactory
from tests.api.live_db import pg_engine
from tests.conftest import PG_URL
from tests.factories.organisations import organisation
from tests.factories.roster import region_admin
from tests.factories.scanning import display_token, operator, venue
from tests.services.conftest import declare, new_account


def _scanner(principal: Principal) -> Principal:
    if not principal.can(Permission.SCAN):
        raise Forbidden(N_("You do not have permission to do this"))
    return principal


@dataclass
class Gate:
    units: UnitOfWorkFactory
    env: Env
    venue_id: uuid.UUID
    other_venue_id: uuid.UUID
    guard_token: str
    other_guard_token: str
    token: str  # a resident's on-screen code

    def hop(self, token: str) -> Hop:
        return Hop(self.units, self.env, token, None, _scanner, "127.0.0.1")

    def scans(self) -> int:
        with self.units() as uow:
            return int(uow.session.scalar(select(func.count()).select_from(t.Scan)) or 0)


def _session_of(uow: UnitOfWork, env: Env, who: Principal) -> str:
    account = uow.accounts.by_id(who.account_id)
    assert account is not None
    return sessions.open_session(uow, env, account, client="127.0.0.1", user_agent="test").token


@pytest.fixture
def engine(pg_schema: str) -> Iterator[Engine]:
    made = pg_engine(PG_URL, pg_schema)
    yield made
    made.dispose()


@pytest.fixture
def gate(engine: Engine) -> Gate:
    env = make_env(
        Settings(secret_key="test-secret-key", argon2_time_cost=1, argon2_memory_kib=1024),
        SystemClock(),
    )
    units = UnitOfWorkFactory(session_factory(engine))
    with units() as uow:
        ensure_signing_key(uow, env.protector, now=env.clock.now())
        admin = region_admin(uow, env, "371602")
        community = organisation(uow, env)
        here = venue(uow, env, admin, community.id, latitude=37.38, longitude=117.97)
        far = venue(uow, env, admin, community.id, latitude=36.65, longitude=117.12)
        guard, other = operator(uow, env, admin, here.id), operator(uow, env, admin, far.id)
        account = new_account(uow, env, "13800002222")
        declare(uow, env, account)
        tokens = _session_of(uow, env, guard), _session_of(uow, env, other)
        code = display_token(uow, env, account.resident_id)
    return Gate(units, env, here.id, far.id, *tokens, code)


@pytest.fixture
def sent(engine: Engine) -> Iterator[list[tuple[str, bool]]]:
    """Every statement the database ran, with whether its connection was outside a
    transaction (psycopg's autocommit) — the read pool's engine as well as the test's.
    After it ran: a statement refused before it was sent is not listed."""
    seen: list[tuple[str, bool]] = []

    def ran(conn: Any, _cursor: object, statement: str, *_args: object) -> None:
        seen.append((statement.split()[0], bool(conn.connection.dbapi_connection.autocommit)))

    event.listen(Engine, "after_cursor_execute", ran)
    yield seen
    event.remove(Engine, "after_cursor_execute", ran)


def _scan(gate: Gate, session_token: str, venue_id: uuid.UUID, **options: Any) -> Any:
    def work(uow: UnitOfWork, caller: Caller) -> scans.ScanResult:
        return scans.scan_code(
            uow, gate.env, caller, venue_id=venue_id, token=gate.token, **options
        )

    return gate.hop(session_token)._run_one_write(work)


class TestOneWrite:
    def test_a_scan_is_one_select_and_one_insert_outside_any_transaction(
        self, gate: Gate, sent: list[tuple[str, bool]]
    ) -> None:
        _scan(gate, gate.guard_token, gate.venue_id)  # the keys are read, as a server has them
        sent.clear()
        result = _scan(gate, gate.guard_token, gate.venue_id)
        assert sent == [("SELECT", True), ("INSERT", True)]
        assert result.decision is Decision.RELEASE
        assert gate.scans() == 2

    def test_a_flagged_scan_is_done_again_in_a_transaction_and_recorded_once(
        self, gate: Gate, sent: list[tuple[str, bool]]
    ) -> None:
        _scan(gate, gate.other_guard_token, gate.other_venue_id)
        sent.clear()
        flagged = _scan(gate, gate.guard_token, gate.venue_id)
        assert flagged.flags  # the same on-screen code at another venue, minutes apart
        assert ("SELECT", True) in sent  # tried outside a transaction first
        inserts = [autocommit for statement, autocommit in sent if statement == "INSERT"]
        assert inserts
        assert not any(inserts)  # written in the transaction only
        assert gate.scans() == 2
        with gate.units() as uow:  # one case for each cause flagged, its scan added once
            causes = {flag["code"] for flag in flagged.flags}
            assert uow.session.scalar(select(func.count()).select_from(t.FraudCase)) == len(causes)
            evidence = select(func.count()).select_from(t.FraudEvidence)
            assert uow.session.scalar(evidence.where(t.FraudEvidence.kind == "scan")) == len(causes)

    def test_a_client_id_is_looked_for_under_a_lock_in_a_transaction(
        self, gate: Gate, sent: list[tuple[str, bool]]
    ) -> None:
        first = _scan(gate, gate.guard_token, gate.venue_id, client_id="phone-1:0001")
        again = _scan(gate, gate.guard_token, gate.venue_id, client_id="phone-1:0001")
        assert (again.id, again.duplicate) == (first.id, True)
        assert all(not autocommit for _statement, autocommit in sent)
        assert gate.scans() == 1

    def test_a_refused_session_writes_nothing(self, gate: Gate) -> None:
        with pytest.raises(sessions.NotAuthenticated):
            _scan(gate, "not-a-session", gate.venue_id)
        assert gate.scans() == 0


UNCHANGED = text("UPDATE venues SET name = name WHERE false")  # a write that changes nothing


class TestTheUnitsGuard:
    def test_a_write_it_was_not_told_of_or_a_lock_is_refused_before_it_is_sent(
        self, gate: Gate, sent: list[tuple[str, bool]]
    ) -> None:
        attempts: list[Callable[[UnitOfWork], object]] = [
            lambda uow: uow.accounts.by_id(uuid.uuid4(), lock=True),
            lambda uow: uow.session.execute(UNCHANGED),
            lambda uow: uow.transaction_needed(),
        ]
        for attempt in attempts:
            scope = gate.units.one_write()
            assert scope is not None
            with pytest.raises(NeedsTransaction), scope as uow:
                attempt(uow)
        assert sent == []

    def test_a_second_write_is_a_programming_error(
        self, gate: Gate, sent: list[tuple[str, bool]]
    ) -> None:
        scope = gate.units.one_write()
        assert scope is not None
        with scope as uow:
            uow.write_once()
            uow.session.execute(UNCHANGED)
            with pytest.raises(RuntimeError, match="second"):
                uow.session.execute(UNCHANGED)
        assert sent == [("UPDATE", True)]
