"""Shared fixtures: both databases, a fixed clock, and honest skips.

Every storage test runs on SQLite and on PostgreSQL. Without a PostgreSQL server
(or Chromium, for browser tests) those tests are skipped and the run ends by saying
so plainly; with HEALTHCODE_TEST_REQUIRE_ALL=1 (set by .ci/run) a skip of that kind
is a failure instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import TZ, FixedClock
from healthcode.store.db import make_engine
from healthcode.store.migrate import upgrade
from healthcode.store.uow import UnitOfWork

# Property tests check behaviour, not speed: on a shared, loaded machine a deadline
# only makes them flaky (speed lives in bench/).
settings.register_profile("healthcode", deadline=None)
settings.load_profile("healthcode")

REQUIRE_ALL = os.environ.get("HEALTHCODE_TEST_REQUIRE_ALL") == "1"
PG_URL = os.environ.get("HEALTHCODE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
_missing: dict[str, str] = {}


def missing_service(name: str, reason: str) -> None:
    """Skip (or, in CI, fail) because a real service this test needs is absent."""
    _missing[name] = reason
    if REQUIRE_ALL:
        pytest.fail(f"{name} is required here (HEALTHCODE_TEST_REQUIRE_ALL=1): {reason}")
    pytest.skip(f"{name} unavailable: {reason}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for name, reason in _missing.items():
        terminalreporter.write_line(
            f"NOTE: tests needing {name} were SKIPPED ({reason}); "
            "CI runs them with HEALTHCODE_TEST_REQUIRE_ALL=1.",
            yellow=True,
        )


def reachable_redis(url: str = "redis://127.0.0.1:6379/15") -> str:
    """``url`` if a Redis answers there; else a skip (or, in CI, a failure)."""
    import redis

    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError as error:
        missing_service("Redis", f"{url}: {type(error).__name__}")
    return url


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("db") / "test.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    yield engine
    engine.dispose()


@contextmanager
def own_database(kind: str, folder: Path, name: str) -> Iterator[Engine]:
    """An empty database of its own: a SQLite file in ``folder``, or a PostgreSQL
    schema ``name`` (dropped afterwards); PostgreSQL absent is a skip (or, in CI, a
    failure)."""
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{folder / f'{name}.db'}")
        yield engine
        engine.dispose()
        return
    admin = make_engine(PG_URL, pool_size=1)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
    except Exception as error:  # any failure to connect means "absent"
        admin.dispose()
        missing_service("PostgreSQL", f"{PG_URL}: {type(error).__name__}")
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={name}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def bare(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own, not migrated yet (the migrations' tests)."""
    name = f"hc_migrate_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with own_database(request.param, tmp_path, name) as engine:
        yield engine


@pytest.fixture(scope="session")
def postgresql_engine(worker_id: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    schema = f"hc_test_{worker_id}_{os.getpid()}"  # unique even when two runs overlap
    with own_database("postgresql", tmp_path_factory.getbasetemp(), schema) as engine:
        upgrade(engine)
        yield engine


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    return request.getfixturevalue(f"{request.param}_engine")  # type: ignore[no-any-return]


@pytest.fixture
def sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions inside one outer transaction that is rolled back after the test;
    the code under test may commit (it releases a savepoint)."""
    connection = engine.connect()
    outer = connection.begin()
    yield sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    outer.rollback()
    connection.close()


@pytest.fixture
def uow(sessions: sessionmaker[Session]) -> Iterator[UnitOfWork]:
    unit = UnitOfWork(sessions())
    yield unit
    unit.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2020, 2, 23, 9, 0, tzinfo=TZ))
