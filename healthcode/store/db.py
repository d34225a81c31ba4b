"""Engines and sessions for SQLite (default) and PostgreSQL, from one URL.

SQLite transactions: a writing unit of work takes the write lock up front
(``BEGIN IMMEDIATE``), so it waits for the lock — SQLite retries for up to
``busy_ms`` — instead of failing half-way with "database is locked"; past that
bound the request is answered 503 with ``Retry-After`` (``store/outage.py``). A
read (``READ_ONLY`` or ``AUTOCOMMIT``) takes no write lock at all: in WAL mode it
reads its snapshot while a writer writes, and never waits for one.

Writers of one process queue for their turn on a lock of the engine's before they
ask SQLite (``_turns``): SQLite's own wait sleeps 1, 2, 5, 10… ms between tries,
so under load a writer slept well past the moment the lock was free, and the core
idled while requests queued. The queue wakes the next writer at once; SQLite's wait
still bounds writers of other processes.
"""

from __future__ import annotations

import select
import sqlite3
import threading
import weakref
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from healthcode.files import private_file

READ_ONLY = "healthcode_read_only"  # execution option: a deferred, read-only transaction
STATEMENT_AT_A_TIME = "healthcode_autocommit"  # execution option: no transaction at all
SQLITE_BUSY_MS = 5000  # how long a writer waits for SQLite's write lock before a 503


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use psycopg 3 for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(
    url: str, *, sqlite_busy_ms: int = SQLITE_BUSY_MS, pgbouncer: bool = False, **kwargs: Any
) -> Engine:
    """An engine whose errors never carry the statement's parameters: they are a
    resident's temperature, symptoms and address, and errors end up in logs.

    ``pgbouncer``: PostgreSQL is reached through pgbouncer in transaction mode, which
    hands each transaction any server connection, so a statement psycopg prepared on
    one is unknown on the next: prepare none (``prepare_threshold=None``)."""
    url = normalise_url(url)
    kwargs.setdefault("hide_parameters", True)
    kwargs.setdefault("json_deserializer", _read_json)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, busy_ms=sqlite_busy_ms, **kwargs)
    if pgbouncer:
        kwargs["connect_args"] = {**kwargs.get("connect_args", {}), "prepare_threshold": None}
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    _READ_TWINS[engine] = (url, kwargs)
    return _closed_ones_replaced(engine)


def _closed_ones_replaced(engine: Engine) -> Engine:
    """Check each pooled connection as it is handed out, without ``pool_pre_ping``'s
    ``SELECT 1`` (a round trip per checkout, so per request): a connection the server
    has closed since (a restart, a terminated backend) has its goodbye or the end of
    the stream waiting on its idle socket, which ``poll(2)`` with no timeout sees.
    Such a connection is replaced before use (``DisconnectionError``: the pool
    connects afresh). An idle connection is sent nothing else here (nothing LISTENs),
    so a false alarm would cost a reconnect, never an error."""

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN)
        if poller.poll(0):
            raise exc.DisconnectionError("the server closed this pooled connection")

    return engine


def _read_json(value: Any) -> Any:
    """JSON columns (facts, states) read by orjson: the values json.loads gives, parsed
    in a fraction of the time (a batch reads tens of thousands a page). SQLite hands a
    bare JSON number over as a number already (numeric affinity): kept as it is."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _sqlite_engine(url: str, *, busy_ms: int = SQLITE_BUSY_MS, **kwargs: Any) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        private_file(Path(database))
    connect_args = {
        "check_same_thread": False,
        "timeout": busy_ms / 1000,
        "factory": _turns(busy_ms),
    }
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (savepoints work).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "foreign_keys=ON",
            f"busy_timeout={int(busy_ms)}",
            "synchronous=NORMAL",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(STATEMENT_AT_A_TIME):
            return  # each statement is its own (read) transaction
        if options.get(READ_ONLY):
            connection.exec_driver_sql("BEGIN DEFERRED")  # a snapshot, no write lock
            return
        # One writer at a time: take the write lock up front instead of failing with
        # "database is locked" when a read transaction later tries to write.
        raw = connection.connection.dbapi_connection
        raw.wait_turn()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            raw.end_turn()
            raise

    return engine


def _turns(busy_ms: int) -> type[sqlite3.Connection]:
    """Connections that take turns at writing (see the module docstring): a writer
    waits up to ``busy_ms`` for its turn, then asks SQLite anyway, whose own bound
    answers "database is locked" if the lock is still held. The turn ends with the
    transaction: commit, rollback or close, whichever thread calls it."""
    turn = threading.Lock()

    class TakingTurns(sqlite3.Connection):
        holding = False

        def wait_turn(self) -> None:
            if turn.acquire(timeout=busy_ms / 1000):  # else: SQLite's own bound decides
                self.holding = True

        def end_turn(self) -> None:
            if self.holding:
                self.holding = False
                turn.release()

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                self.end_turn()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self.end_turn()

        def close(self) -> None:
            try:
                super().close()
            finally:
                self.end_turn()

    return TakingTurns


# PostgreSQL engines made here, with how they were made: their reads get a twin.
_READ_TWINS: weakref.WeakKeyDictionary[Engine, tuple[str, dict[str, Any]]] = (
    weakref.WeakKeyDictionary()
)
_TWINS: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()
_TWIN_LOCK = threading.Lock()


# The hot path's statements are few, each looks rows up by key, and psycopg prepares
# them. PostgreSQL plans a prepared statement afresh each time while that looks cheaper
# than its generic plan; a statement on a table partitioned by month (a gate's query
# reads ``scans``) always does once there are six partitions, each plan pruning them
# to the one the window names: ~0.6 ms of planning on every scan. The generic plan
# prunes them as it runs.
_GENERIC_PLANS = "-c plan_cache_mode=force_generic_plan"


def statement_at_a_time(engine: Engine) -> Engine:
    """An engine for reads that are one statement each: no BEGIN, no COMMIT, so one
    round trip. SQLite's driver must stay in its own autocommit mode (``_on_connect``),
    so there it is an option the ``begin`` hook reads, on the same pool. PostgreSQL
    gets a pool of its own in autocommit, checked as the main pool is
    (``_closed_ones_replaced``): a connection dropped during the read fails it, and
    the read is retried once on a fresh one (``UnitOfWorkFactory.read``).

    Its statements (the code page's reads, a gate's scan) keep one plan each
    (``_GENERIC_PLANS``)."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{STATEMENT_AT_A_TIME: True})
    made = _READ_TWINS.get(engine)
    if made is None:
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    with _TWIN_LOCK:
        twin = _TWINS.get(engine)
        if twin is None:
            url, kwargs = made
            options = {"pool_recycle": 1800, "pool_size": 5, "isolation_level": "AUTOCOMMIT"}
            connect_args = kwargs.get("connect_args", {})
            if connect_args.get("prepare_threshold", 5) is not None:  # prepared (not pgbouncer)
                options["connect_args"] = _generic_plans(url, connect_args)
            twin = _TWINS[engine] = _closed_ones_replaced(create_engine(url, **kwargs | options))
            event.listen(engine, "engine_disposed", lambda _engine: twin.dispose())
    return twin


def _generic_plans(url: str, connect_args: dict[str, Any]) -> dict[str, Any]:
    """``connect_args`` with ``_GENERIC_PLANS`` added to the server options already
    given (there, or in the URL: a search path, a timeout), which it would replace."""
    given = connect_args.get("options", make_url(url).query.get("options", ""))
    return connect_args | {"options": f"{given} {_GENERIC_PLANS}".strip()}


SessionFactory = sessionmaker[Session]


def session_factory(engine: Engine) -> SessionFactory:
    return sessionmaker(engine, expire_on_commit=False)


def read_sessions(url: str, *, pgbouncer: bool = False) -> SessionFactory | None:
    """The read replica's sessions (``HEALTHCODE_READ_DATABASE_URL``); None without one."""
    return read_session_factory(make_engine(url, pgbouncer=pgbouncer)) if url else None


class ReadOnlyError(RuntimeError):
    """A reporting read tried to write: it runs on a replica (or read-only)."""


def read_session_factory(engine: Engine) -> SessionFactory:
    """Sessions for the reporting reads that tolerate lag, on a read replica's engine
    (or the primary's, without one): read-only transactions on PostgreSQL, and no ORM
    write on either database, so a write never goes where it would be lost."""
    factory = session_factory(engine)

    @event.listens_for(factory, "after_begin")
    def _read_only(_session: Session, _transaction: Any, connection: Any) -> None:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")

    @event.listens_for(factory, "before_flush")
    def _no_writes(session: Session, _context: Any, _instances: Any) -> None:
        if session.new or session.dirty or session.deleted:
            raise ReadOnlyError("a write in a read-only (reporting) unit of work")

    return factory
