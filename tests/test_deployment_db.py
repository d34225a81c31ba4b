"""The deployment's database settings (docs/deployment.md): reporting reads come from
the read replica (HEALTHCODE_READ_DATABASE_URL) and no write ever goes there, and
behind pgbouncer (HEALTHCODE_PGBOUNCER) psycopg prepares no statement."""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import DBAPIError

from healthcode.app import create_app
from healthcode.config import Settings
from healthcode.domain.clock import TZ, FixedClock
from healthcode.jobs.sharing import export_stats_if_leader
from healthcode.services.shared.env import make_env
from healthcode.store import db
from healthcode.store import tables as t
from healthcode.store.migrate import upgrade
from healthcode.store.uow import UnitOfWorkFactory
from tests.conftest import PG_URL, own_database
from tests.services.conftest import declare, new_account

NOW = datetime(2020, 2, 24, 9, tzinfo=TZ)


@pytest.fixture(params=["sqlite", "postgresql"])
def primary_and_replica(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Engine, Engine]]:
    """Two databases of their own (two files, or two PostgreSQL schemas), migrated: the
    primary and, standing in for its replica, another with other rows."""
    tag = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with (
        own_database(request.param, tmp_path, f"hc_primary_{tag}") as primary,
        own_database(request.param, tmp_path, f"hc_replica_{tag}") as replica,
    ):
        upgrade(primary)
        upgrade(replica)
        yield primary, replica


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table.name: conn.scalar(select(func.count()).select_from(table)) or 0
            for table in t.Base.metadata.sorted_tables
        }


def write_in(units: UnitOfWorkFactory, *, orm: bool) -> None:
    with units.reading() as uow:
        if orm:
            uow.add(t.Lease(name="x", holder="y", expires_at=NOW))
            uow.flush()
        else:
            uow.session.execute(insert(t.Lease).values(name="x", holder="y", expires_at=NOW))


def test_reporting_reads_come_from_the_replica_and_writes_never_go_there(
    primary_and_replica: tuple[Engine, Engine], tmp_path: Path
) -> None:
    primary, replica = primary_and_replica
    settings = Settings(
        secret_key="replica-test",
        scheduler=False,
        stats_min_count=1,
        stats_round_to=1,  # the replica's one row, counted exactly
        stats_dir=str(tmp_path),
    )
    clock = FixedClock(NOW)
    env = make_env(settings, clock)
    on_replica = UnitOfWorkFactory(db.session_factory(replica))
    with on_replica() as uow:  # the replica holds a green code the primary lacks
        declare(uow, env, new_account(uow, env, "13800001111"))
    replica_rows, primary_rows = counts(replica), counts(primary)
    units = UnitOfWorkFactory(db.session_factory(primary), db.read_session_factory(replica))

    clock.advance(timedelta(days=1))  # the day's figures once it has ended
    path = export_stats_if_leader(units, env, day=date(2020, 2, 24))  # lease on the primary
    assert path is not None
    with path.open(encoding="utf-8") as file:
        exported = [(r["code_type"], r["colour"], r["count"]) for r in csv.DictReader(file)]
    assert exported == [  # the replica's rows (the other colours none: below the threshold)
        ("binzhou-code", "green", "1"),
        ("binzhou-code", "yellow", ""),
        ("binzhou-code", "red", ""),
    ]
    assert counts(replica) == replica_rows  # nothing written there
    assert counts(primary) == primary_rows  # the lease was taken and given back

    with pytest.raises(db.ReadOnlyError):
        write_in(units, orm=True)
    if replica.dialect.name == "postgresql":  # below the ORM too: a read-only transaction
        with pytest.raises(DBAPIError, match="read-only"):
            write_in(units, orm=False)
    with units() as uow:  # everything else is the primary's
        uow.leases.take("z", "me", NOW, NOW + timedelta(minutes=1))
    assert (counts(primary)["leases"], counts(replica)["leases"]) == (1, 0)


def test_without_a_replica_reporting_reads_the_primary(primary_and_replica: Any) -> None:
    primary, _replica = primary_and_replica
    units = UnitOfWorkFactory(db.session_factory(primary))
    with units.reading() as uow:
        assert uow.session.get_bind() is primary


def test_the_app_and_the_settings_wire_the_replica(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'replica.db'}"
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", read_database_url=url))
    reads = app.state.uow_factory.reads
    assert reads is not None
    assert str(reads.kw["bind"].url) == url
    assert create_app(Settings(database_url=url)).state.uow_factory.reads is None


def test_behind_pgbouncer_no_statement_is_prepared(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, Any]] = []
    real = sqlalchemy.create_engine

    def create_engine(url: str, **kwargs: Any) -> Engine:
        seen.append(kwargs)
        return real(url, **kwargs)  # connects only when used, which these are not

    monkeypatch.setattr(db, "create_engine", create_engine)
    db.make_engine("postgresql://u@db:6432/hc", pgbouncer=True, connect_args={"connect_timeout": 3})
    db.make_engine("postgresql://u@db:5432/hc")
    assert seen[0]["connect_args"] == {"connect_timeout": 3, "prepare_threshold": None}
    assert "connect_args" not in seen[1]  # psycopg's default: prepared after 5 runs
    assert Settings(_env_file=None).pgbouncer is False


def test_a_pgbouncer_engines_connections_prepare_nothing(tmp_path: Path) -> None:
    with own_database("postgresql", tmp_path, f"hc_bouncer_{os.getpid()}") as _engine:
        engine = db.make_engine(PG_URL, pgbouncer=True, pool_size=1)
        try:
            for _ in range(8):  # past psycopg's prepare_threshold of 5
                with engine.connect() as conn:
                    conn.execute(select(1))
            with engine.connect() as conn:
                raw: Any = conn.connection.dbapi_connection
                assert raw.prepare_threshold is None
                assert (
                    conn.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements").scalar()
                    == 0
                )
        finally:
            engine.dispose()
