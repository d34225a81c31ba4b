"""Rows written into a database at an older revision, for the migration tests: the
models have columns the old schema lacks (an ORM or Core insert would name them)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def insert_as_of(conn: sa.Connection, model: type[Any], **values: Any) -> None:
    """Insert ``values`` into the model's table as the database has it now: the model's
    scalar defaults fill the old columns not given, and each value is bound by the
    model's column type (UUIDs, aware times as the application stores them)."""
    columns = model.__table__.c
    table = sa.Table(model.__tablename__, sa.MetaData(), autoload_with=conn)
    for column in table.c:
        default = columns[column.name].default
        if column.name not in values and default is not None and default.is_scalar:
            values[column.name] = default.arg
    bound = {name: sa.literal(value, columns[name].type) for name, value in values.items()}
    conn.execute(sa.insert(table).values(bound))
