"""A gate's scan on PostgreSQL as the route runs it (``Hop.run_unchecked``): a unit of
one write outside any transaction, or, when the scan needs more than one write or the
token's lock (an on-screen code), the whole work in a transaction with nothing written
twice; and two gates scanning one token at the same moment."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
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
from healthcode.services.scanning.venues import open_gate
from healthcode.services.shared.env import Env, make_env
from healthcode.services.shared.keys import ensure_signing_key
from healthcode.store import tables as t
from healthcode.store.db import session_factory
from healthcode.store.uow import NeedsTransaction, UnitOfWork, UnitOfWorkFactory
from tests.api.live_db import pg_engine
from tests.conftest import PG_URL
from tests.factories.organisations import organisation
from tests.factories.roster import region_admin
from tests.factories.scanning import display_token, operator, paper_token, venue
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
    paper: str  # the same resident's printed pass

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
        paper = paper_token(uow, env, account.resident_id)
    return Gate(units, env, here.id, far.id, *tokens, code, paper)


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


def _scan(
    gate: Gate, session_token: str, venue_id: uuid.UUID, token: str = "", **options: Any
) -> Any:
    def work(uow: UnitOfWork, caller: Caller) -> scans.ScanResult:
        return scans.scan_code(
            uow, gate.env, caller, venue_id=venue_id, token=token or gate.token, **options
        )

    return gate.hop(session_token)._run_one_write(work)


class TestOneWrite:
    def test_a_scan_is_its_reads_and_one_insert_outside_any_transaction(
        self, gate: Gate, sent: list[tuple[str, bool]]
    ) -> None:
        """A printed pass (flagged by its holder, not its token): no lock to hold."""
        _scan(gate, gate.guard_token, gate.venue_id, gate.paper)  # the keys are read
        sent.clear()
        result = _scan(gate, gate.guard_token, gate.venue_id, gate.paper)
        assert all(autocommit for _statement, autocommit in sent)
        assert [statement for statement, _ in sent if statement != "SELECT"] == ["INSERT"]
        assert result.decision is Decision.RELEASE
        assert gate.scans() == 2

    def test_an_on_screen_codes_scan_is_one_select_and_one_insert_inside_its_tokens_lock(
        self, gate: Gate, sent: list[tuple[str, bool]]
    ) -> None:
        """The token's lock (the session's advisory lock, ``Scans.serialised``) is taken
        before the venue's query and released after the insert has committed: still
        outside any transaction, two round trips more."""
        _scan(gate, gate.guard_token, gate.venue_id)  # the keys are read, as a server has them
        sent.clear()
        result = _scan(gate, gate.guard_token, gate.venue_id)
        assert sent == [("SELECT", True), ("SELECT", True), ("INSERT", True), ("SELECT", True)]
        assert result.decision is Decision.RELEASE
        assert gate.scans() == 2

    def test_a_flagged_scan_is_done_again_in_a_transaction_and_recorded_once(
        self, gate: Gate, sent: list[tuple[str, bool]]
    ) -> None:
        _scan(gate, gate.other_guard_token, gate.other_venue_id, gate.paper)
        sent.clear()
        flagged = _scan(gate, gate.guard_token, gate.venue_id, gate.paper)
        assert flagged.flags  # the same person's pass at a distant venue, minutes apart
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


class TestTwoGatesAtOnce:
    def test_one_token_at_two_gates_at_the_same_moment_is_flagged(
        self, gate: Gate, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Each scan read the scans near it before the other's insert had committed,
        and neither was flagged (an outside probe: two requests 5 ms apart). Here both
        meet after their reads, when they can: under the token's lock the second gate's
        read waits for the first gate's commit, and finds it."""
        met = threading.Barrier(2, timeout=2)

        def meet(row: Any) -> Any:  # ``scans.open_gate``: after the venue's query
            # the other scan, waiting for this one's commit, cannot come: go on alone
            with contextlib.suppress(threading.BrokenBarrierError):
                met.wait()
            return open_gate(row)

        monkeypatch.setattr(scans, "open_gate", meet)
        gates = [(gate.guard_token, gate.venue_id), (gate.other_guard_token, gate.other_venue_id)]
        with ThreadPoolExecutor(2) as pool:
            done = list(pool.map(lambda at: _scan(gate, *at), gates))
        flagged = [[f["code"] for f in result.flags] for result in done]
        assert ["same_token_elsewhere", "distant_venues"] in flagged, flagged
        assert gate.scans() == 2


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
