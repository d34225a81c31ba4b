"""Engines and sessions for SQLite (default) and PostgreSQL, from one URL.

SQLite transactions: a writing unit of work takes the write lock up front
(``BEGIN IMMEDIATE``), so it waits for the lock — SQLite retries for up to
``busy_ms`` — instead of failing half-way with "database is locked"; past that
bound the request is answered 503 with ``Retry-After`` (``store/outage.py``). A
read (``READ_ONLY`` or ``AUTOCOMMIT``) takes no write lock at all: in WAL mode it
reads its snapshot while a writer writes, and never waits for one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
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


def make_engine(url: str, *, sqlite_busy_ms: int = SQLITE_BUSY_MS, **kwargs: Any) -> Engine:
    """An engine whose errors never carry the statement's parameters: they are a
    resident's temperature, symptoms and address, and errors end up in logs."""
    url = normalise_url(url)
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, busy_ms=sqlite_busy_ms, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def _sqlite_engine(url: str, *, busy_ms: int = SQLITE_BUSY_MS, **kwargs: Any) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        private_file(Path(database))
    connect_args = {"check_same_thread": False, "timeout": busy_ms / 1000}
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
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def statement_at_a_time(engine: Engine) -> Engine:
    """The engine (same pool) for reads that are one statement each: no BEGIN, no
    COMMIT, so one round trip. SQLite's driver must stay in its own autocommit mode
    (``_on_connect``), so there it is an option the ``begin`` hook reads."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{STATEMENT_AT_A_TIME: True})
    return engine.execution_options(isolation_level="AUTOCOMMIT")


SessionFactory = sessionmaker[Session]


def session_factory(engine: Engine) -> SessionFactory:
    return sessionmaker(engine, expire_on_commit=False)
