"""Many rows at once: ``COPY … FROM STDIN`` on PostgreSQL, multi-row INSERT on SQLite.

The population generator and department imports write hundreds of thousands of
rows; an ORM object or a statement per row would cost a thousand times the rows'
own price. Both stores take the same rows (tuples in ``columns`` order) inside the
caller's transaction, so a failure leaves nothing behind and the caller commits.

JSON columns accept the value already written as JSON text (a ``str``): PostgreSQL
takes it as is, SQLite gets it parsed back for SQLAlchemy's JSON type.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from psycopg import sql
from sqlalchemy import JSON, Table, insert
from sqlalchemy.orm import Session

SQLITE_CHUNK = 2000


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def write_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Write ``rows`` into ``table`` in the session's transaction; how many."""
    if is_postgresql(session):
        return _copy(session, table.name, columns, rows)
    return _insert(session, table, columns, rows)


def _copy(
    session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    driver = session.connection().connection.driver_connection
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    count = 0
    with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _insert(
    session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    json_columns = {c for c in columns if isinstance(table.c[c].type, JSON)}
    statement = insert(table)
    iterator, count = iter(rows), 0
    while chunk := list(islice(iterator, SQLITE_CHUNK)):
        values = [dict(zip(columns, row, strict=True)) for row in chunk]
        for value in values:
            for name in json_columns:
                if isinstance(value[name], str):
                    value[name] = json.loads(value[name])
        session.execute(statement, values)
        count += len(chunk)
    return count
