"""Engines and sessions for SQLite (default) and PostgreSQL, from one URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from healthcode.files import private_file


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use psycopg 3 for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, pgbouncer: bool = False, **kwargs: Any) -> Engine:
    """An engine whose errors never carry the statement's parameters: they are a
    resident's temperature, symptoms and address, and errors end up in logs.

    ``pgbouncer``: PostgreSQL is reached through pgbouncer in transaction mode, which
    hands each transaction any server connection, so a statement psycopg prepared on
    one is unknown on the next: prepare none (``prepare_threshold=None``)."""
    url = normalise_url(url)
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    if pgbouncer:
        kwargs["connect_args"] = {**kwargs.get("connect_args", {}), "prepare_threshold": None}
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        private_file(Path(database))
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (savepoints work).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "foreign_keys=ON",
            "busy_timeout=30000",
            "synchronous=NORMAL",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # One writer at a time: take the write lock up front instead of failing with
        # "database is locked" when a read transaction later tries to write.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


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
