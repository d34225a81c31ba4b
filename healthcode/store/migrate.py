"""Run Alembic migrations programmatically (no alembic.ini to keep in step)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine

from healthcode.store.partitions import is_partition
from healthcode.store.tables import Base

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    with _migrating(engine) as config:
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    with _migrating(engine) as config:
        command.downgrade(config, revision)


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a new migration from the tables (developers only)."""
    with _migrating(engine) as config:
        command.revision(config, message=message, autogenerate=True)


def include_name(name: str | None, kind: str, _parents: Any) -> bool:
    """Compare the tables with the models, the monthly partitions aside (they are the
    partitioned tables' storage, made by the partitions job)."""
    return not (kind == "table" and name is not None and is_partition(name))


def schema_diff(connection: Connection) -> list[Any]:
    """What the database's tables lack or have beyond the models (none: in step)."""
    opts = {"include_name": include_name}
    return list(compare_metadata(MigrationContext.configure(connection, opts=opts), Base.metadata))


@contextmanager
def _migrating(engine: Engine) -> Iterator[Config]:
    """One transaction for the whole migration. On SQLite, foreign keys are off while
    it runs: a batch migration rebuilds a table by dropping it, and with them on the
    drop would cascade-delete every child row (a signature with its declaration)."""
    config = alembic_config(engine)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _pragma(connection, "foreign_keys=OFF")  # before BEGIN: a no-op inside one
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                yield config
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("migration left rows whose parent is missing")
        finally:
            if sqlite:
                _pragma(connection, "foreign_keys=ON")


def _pragma(connection: Connection, pragma: str) -> None:
    """A PRAGMA on the driver's connection, outside any transaction SQLAlchemy opens."""
    raw = connection.connection.dbapi_connection
    assert raw is not None
    raw.execute(f"PRAGMA {pragma}")
