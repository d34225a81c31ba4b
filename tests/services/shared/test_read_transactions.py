"""Reads take no write lock; writers wait a bounded time for it (issue 14 §3).

These tests hold a real write transaction open on the test database (not the
rolled-back test connection), so they use engines of their own on it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, exc, text

from healthcode.store.db import READ_ONLY, make_engine, session_factory
from healthcode.store.outage import outage_reason
from healthcode.store.uow import UnitOfWorkFactory

BUSY_MS = 300  # the writers' bound in these tests: a blocked read would fail after it


@pytest.fixture
def quick(engine: Engine) -> Iterator[Engine]:
    """An engine on the test database whose SQLite writers give up after BUSY_MS
    (PostgreSQL: the test engine itself)."""
    if engine.dialect.name != "sqlite":
        yield engine
        return
    other = make_engine(engine.url.render_as_string(hide_password=False), sqlite_busy_ms=BUSY_MS)
    yield other
    other.dispose()


@pytest.fixture
def writing(quick: Engine) -> Iterator[Connection]:
    """A write transaction holding the write lock (SQLite) and an updated row."""
    with quick.connect() as connection:
        transaction = connection.begin()
        connection.execute(text("UPDATE sessions SET client = client WHERE 1 = 0"))
        yield connection
        transaction.rollback()


def _in_thread(work: object) -> object:
    """Run ``work`` on another thread (the way a second request would) and return
    its result or the error it raised."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(work())  # type: ignore[operator]
        except Exception as error:
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert outcome, "the read never came back"
    return outcome[0]


class TestReadsDuringAWrite:
    def test_the_code_page_read_neither_waits_nor_fails(
        self, quick: Engine, writing: Connection
    ) -> None:
        units = UnitOfWorkFactory(session_factory(quick))

        def read() -> object:
            return units.read(
                lambda unit: unit.code_pages.signed_in(b"\0" * 32, kid=b"", policy_id="x")
            )

        assert _in_thread(read) is None  # no such session, and no "database is locked"

    def test_a_read_only_unit_of_work_neither_waits_nor_fails(
        self, quick: Engine, writing: Connection
    ) -> None:
        def read() -> object:
            read_only = quick.connect().execution_options(**{READ_ONLY: True})
            with read_only as connection, connection.begin():
                return connection.execute(text("SELECT count(*) FROM sessions")).scalar()

        assert isinstance(_in_thread(read), int)


class TestBusyWriters:
    def test_a_second_writer_gives_up_after_the_bound_as_an_outage(
        self, quick: Engine, writing: Connection
    ) -> None:
        if quick.dialect.name != "sqlite":
            pytest.skip("PostgreSQL writers lock rows, not the database")
        units = UnitOfWorkFactory(session_factory(quick))

        def write() -> object:
            with units() as uow:
                uow.session.execute(text("SELECT 1"))
            return "written"

        refused = _in_thread(write)
        assert isinstance(refused, exc.OperationalError), refused
        assert outage_reason(refused) == "busy"  # answered 503 with Retry-After


class TestWritersTakeTurns:
    """SQLite writers of one process queue on the engine's turn (``store/db.py``): the
    next one starts as soon as the turn ends, whichever way the transaction ended;
    SQLite's own wait would sleep in steps, and a turn never handed back would hold
    every later writer for the whole bound."""

    @pytest.mark.parametrize("end", ["commit", "rollback"])
    def test_the_next_writer_starts_when_the_transaction_ends(
        self, sqlite_engine: Engine, end: str
    ) -> None:
        patient = make_engine(sqlite_engine.url.render_as_string(hide_password=False))  # 5 s bound
        units = UnitOfWorkFactory(session_factory(patient))
        try:
            first = patient.connect()
            transaction = first.begin()
            first.execute(text("UPDATE sessions SET client = client WHERE 1 = 0"))
            ended: list[float] = []

            def write() -> object:
                with units() as uow:
                    uow.session.execute(text("UPDATE sessions SET client = client WHERE 1 = 0"))
                return time.monotonic() - ended[0]

            def finish() -> None:
                ended.append(time.monotonic())
                getattr(transaction, end)()

            holder = threading.Timer(0.2, finish)
            holder.start()
            waited = _in_thread(write)
            holder.join()
            first.close()
            assert isinstance(waited, float), waited
            assert waited < 2.0  # not the 5 s bound: the turn was handed on
        finally:
            patient.dispose()
