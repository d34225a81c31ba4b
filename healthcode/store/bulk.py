"""Many rows at once: ``COPY … FROM STDIN`` on PostgreSQL, multi-row INSERT on SQLite.

The population generator and department imports write hundreds of thousands of
rows; an ORM object or a statement per row would cost a thousand times the rows'
own price. Both stores take the same rows (tuples in ``columns`` order) inside the
caller's transaction, so a failure leaves nothing behind and the caller commits.

JSON columns accept the value already written as JSON text (a ``str``): PostgreSQL
takes it as is, SQLite gets it parsed back for SQLAlchemy's JSON type. UUID columns
likewise accept hex text (``new_ids``).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Any

import psycopg
from psycopg import sql
from psycopg.errors import UniqueViolation
from sqlalchemy import (
    ARRAY,
    JSON,
    FromClause,
    LargeBinary,
    Select,
    String,
    Table,
    Text,
    Uuid,
    bindparam,
    cast,
    func,
    select,
    text,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

SQLITE_CHUNK = 2000


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def among(session: Session, column: Any, values: Sequence[Any]) -> Any:
    """``column IN values`` for a long list: one array parameter on PostgreSQL (no
    statement with thousands of placeholders to build and parse), joined as a set.

    Not ``= ANY(array)``: once psycopg prepares the statement, PostgreSQL may switch
    to a generic plan, where an array parameter is a filter compared element by
    element with every row the other conditions leave. With statistics that predate
    a department's first imports, that took 1.1 s for a 2,000-row chunk against
    7,000 records (2 ms as a join), and it grows with their product."""
    if not is_postgresql(session):
        return column.in_(values)
    if isinstance(column.type, LargeBinary) and len({len(v) for v in values}) == 1:
        return column.in_(_cut(values))
    if isinstance(column.type, String) and all(_joinable(v) for v in values):
        return column.in_(_split(values))
    if isinstance(column.type, Uuid) and all(isinstance(v, uuid.UUID) for v in values):
        return column.in_(_hexes(values))
    array = bindparam(None, list(values), type_=ARRAY(column.type))
    return column.in_(select(func.unnest(array)).scalar_subquery())


_SEPARATOR = "\x1f"  # the unit separator: not printable, so in none of the texts joined


def _joinable(value: object) -> bool:
    return isinstance(value, str) and value != "" and value.isprintable()


def _split(values: Sequence[str]) -> Any:
    """Printable texts (record numbers) as one parameter cut up by the server: in an
    array each is quoted and escaped on the way, 2,000 record numbers ~3 ms of an
    import's chunk."""
    joined = bindparam(None, _SEPARATOR.join(values), type_=Text)
    return select(func.unnest(func.string_to_array(joined, _SEPARATOR))).scalar_subquery()


def _hexes(values: Sequence[uuid.UUID]) -> Any:
    """UUIDs as one text of their hex digits cut up by the server: in an array each is
    formatted and checked for quoting on the way (a page of 1,000 residents' facts
    spent 2.5 ms on each of its seven such lists)."""
    joined = bindparam(None, ",".join(v.hex for v in values), type_=Text)
    return select(cast(func.unnest(func.string_to_array(joined, ",")), Uuid)).scalar_subquery()


def _cut(values: Sequence[bytes]) -> Any:
    """Byte strings of one width (ID hashes) as one ``bytea`` cut up by the server: in
    an array each is escaped as text on the way (a 2,000-hash lookup spent 9 of its
    15 ms there)."""
    width = len(values[0])
    blob = cast(bindparam(None, b"".join(values), type_=LargeBinary), LargeBinary)
    i = func.generate_series(0, bindparam(None, len(values) - 1)).column_valued("i")
    return select(func.substr(blob, i * width + 1, width)).scalar_subquery()


class Ahead:
    """The rows of statements sent ahead (``sent_ahead``), one list per statement, in
    the order given; there once the ``with`` block has ended."""

    def __init__(self) -> None:
        self._rows: list[list[tuple[Any, ...]]] | None = None

    @property
    def rows(self) -> list[list[tuple[Any, ...]]]:
        if self._rows is None:
            raise RuntimeError("the rows of statements sent ahead are read after the block")
        return self._rows


@contextmanager
def sent_ahead(session: Session, statements: Sequence[Select[*tuple[Any, ...]]]) -> Iterator[Ahead]:
    """Send ``statements`` now and read their rows when the ``with`` block ends, so
    that the server answers them while the block's Python work runs (an import
    checks a chunk's rows while the server matches their ID hashes and record
    numbers: 10–15 ms each side, one after the other before). PostgreSQL's pipeline
    mode: the statements go out at once, in the session's transaction, and their
    results are read after one sync. The block must not use the session (its
    connection is in pipeline mode). SQLite runs in this process, so there is
    nothing to overlap: the statements run when the block ends. Rows are plain
    tuples, each column's type applied to its value (aware UTC datetimes)."""
    ahead = Ahead()
    session.flush()  # the session's own changes are seen, as by ``execute``
    if not is_postgresql(session):
        yield ahead
        connection = session.connection()
        ahead._rows = [[tuple(r) for r in connection.execute(s)] for s in statements]
        return
    dialect = session.get_bind().dialect
    driver = session.connection().connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    sent = []
    with driver.pipeline():
        for statement in statements:
            compiled = statement.compile(
                dialect=dialect, compile_kwargs={"render_postcompile": True}
            )
            cursor = driver.cursor()
            cursor.execute(str(compiled), compiled.params)
            types = (c.type.dialect_impl(dialect) for c in statement.selected_columns)
            sent.append((cursor, [t.result_processor(dialect, None) for t in types]))
        yield ahead
    ahead._rows = [_processed(cursor.fetchall(), processors) for cursor, processors in sent]
    for cursor, _ in sent:
        cursor.close()


def _processed(rows: list[tuple[Any, ...]], processors: list[Any]) -> list[tuple[Any, ...]]:
    if not any(processors):
        return rows
    return [
        tuple(v if p is None else p(v) for v, p in zip(row, processors, strict=True))
        for row in rows
    ]


def new_ids(count: int) -> list[str]:
    """``count`` random version-4 UUIDs as hex text, for rows written by
    ``write_rows``: one read of the OS's random source for them all, and no UUID
    object to build and format again (2,000 ``uuid4()`` took an import 3.3 ms, this
    0.4 ms)."""
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = bytes([b & 0x0F | 0x40 for b in raw[6::16]])  # version 4
    raw[8::16] = bytes([b & 0x3F | 0x80 for b in raw[8::16]])  # RFC 4122 variant
    text = raw.hex()
    return [text[i : i + 32] for i in range(0, 32 * count, 32)]


def write_rows(
    session: Session,
    table: Table | FromClause,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    skip_conflicts: bool = False,
) -> int:
    """Write ``rows`` into ``table`` in the session's transaction; how many were
    written. ``skip_conflicts``: a row that breaks a unique key (one a concurrent
    transaction has just written) is skipped, not an error. On PostgreSQL the rows
    are copied straight into the table inside a savepoint, each as ``rows`` gives it
    (a generator's work overlaps the server's); only if that breaks a key do they go
    again through a temporary staging table and one ``INSERT … SELECT … ON CONFLICT
    DO NOTHING`` (the staging copy cost an import two fifths of its write). The
    rows are kept meanwhile: ``rows`` is read once."""
    assert isinstance(table, Table)
    if not is_postgresql(session):
        return _insert(session, table, columns, rows, skip_conflicts)
    if not skip_conflicts:
        return _copy(session, sql.Identifier(table.name), columns, rows)
    given, sent = iter(rows), []

    def kept() -> Iterator[Sequence[Any]]:
        for row in given:
            sent.append(row)
            yield row

    try:
        with session.begin_nested():
            return _copy(session, sql.Identifier(table.name), columns, kept())
    except UniqueViolation:
        return _through_staging(session, table, columns, [*sent, *given])


def write_dicts(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> int:
    """``write_rows`` for rows given as {column: value}, as ``insert(table)`` would
    take them: a missing column gets its scalar default (or null), a JSON value goes
    as its text (JSON ``null`` for None, as SQLAlchemy writes it). COPY on PostgreSQL
    instead of a multi-row ``INSERT`` whose every value SQLAlchemy binds one by one
    (a batch's history, notifications and outbox messages)."""
    columns = list(table.columns)
    json_columns = {c.name for c in columns if isinstance(c.type, JSON)}
    fill: dict[str, Any] = {}
    for column in columns:
        default = column.default
        scalar = default is not None and default.is_scalar
        if default is not None and not scalar and any(column.name not in r for r in rows):
            raise ValueError(f"{table.name}.{column.name}: a computed default, not given")
        fill[column.name] = getattr(default, "arg", None) if scalar else None

    def value(row: Mapping[str, Any], name: str) -> Any:
        found = row.get(name, fill[name])
        return json.dumps(found) if name in json_columns else found

    names = [c.name for c in columns]
    return write_rows(session, table, names, ([value(row, n) for n in names] for row in rows))


def _through_staging(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> int:
    staging = sql.Identifier(f"staging_{table.name}")
    session.execute(
        text(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS staging_{table.name} "
            f"(LIKE {table.name} INCLUDING DEFAULTS) ON COMMIT DROP"
        )
    )
    _copy(session, staging, columns, rows)
    names = ", ".join(f'"{c}"' for c in columns)
    written = session.execute(
        text(
            f"INSERT INTO {table.name} ({names}) SELECT {names} FROM staging_{table.name} "
            "ON CONFLICT DO NOTHING"
        )
    ).rowcount  # type: ignore[attr-defined]
    session.execute(text(f"TRUNCATE staging_{table.name}"))
    return int(written)


def _copy(
    session: Session, table: sql.Identifier, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    driver = session.connection().connection.driver_connection
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        table, sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    count = 0
    with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _insert(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    skip_conflicts: bool,
) -> int:
    json_columns = {c for c in columns if isinstance(table.c[c].type, JSON)}
    uuid_columns = {c for c in columns if isinstance(table.c[c].type, Uuid)}
    statement = sqlite_insert(table)
    if skip_conflicts:
        statement = statement.on_conflict_do_nothing()
    iterator, count = iter(rows), 0
    while chunk := list(islice(iterator, SQLITE_CHUNK)):
        values = [dict(zip(columns, row, strict=True)) for row in chunk]
        for value in values:
            for name in json_columns:
                if isinstance(value[name], str):
                    value[name] = json.loads(value[name])
            for name in uuid_columns:
                if isinstance(value[name], str):
                    value[name] = uuid.UUID(value[name])
        session.flush()  # the session's own pending changes are not ours to count
        driver = session.connection().connection.driver_connection
        before = driver.total_changes  # type: ignore[union-attr]
        session.execute(statement, values)
        count += driver.total_changes - before  # type: ignore[union-attr]
    return count


@contextmanager
def keys_set_aside(session: Session, tables: Sequence[str]) -> Iterator[None]:
    """A bulk load into ``tables``: their foreign keys and secondary indexes are
    dropped for the load and made again after it, in the same transaction.

    Row by row, a foreign key costs a trigger and a query per row and an index an
    insertion in random order; made again after the load, each is one pass (a
    join, a sort). A row that breaks one fails the re-made key, and the whole
    transaction with it. Primary keys stay, and so does any unique key a foreign
    key points at. PostgreSQL only; elsewhere the load runs as it is."""
    if not is_postgresql(session):
        yield
        return
    names = {"tables": list(tables)}
    foreign = session.execute(text(_FOREIGN_KEYS), names).all()
    indexes = session.execute(text(_SECONDARY_INDEXES), names).all()
    for table, name, _ in foreign:
        session.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for table, name, constraint, _ in indexes:
        if constraint:
            session.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        else:
            session.execute(text(f'DROP INDEX "{name}"'))
    yield
    for table, name, constraint, definition in indexes:
        if constraint:
            session.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
        else:  # a partitioned table's index reads "ON ONLY": made so, it covered no
            # partition and stayed invalid (the population's reports and scans had no
            # index by resident: a page of 1,000 residents' reports read all of a
            # million residents', 60-100 ms instead of 10)
            session.execute(text(definition.replace(" ON ONLY ", " ON ", 1)))
    for table, name, definition in foreign:
        session.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))


_FOREIGN_KEYS = """
SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
FROM pg_constraint c
WHERE c.contype = 'f' AND c.conrelid = ANY(CAST(:tables AS regclass[]))
ORDER BY 1, 2
"""

# Not the primary keys, nor a unique key a foreign key points at; a unique key that is
# a constraint is dropped and made again as one (its definition then is the
# constraint's), any other index by its own definition.
_SECONDARY_INDEXES = """
SELECT i.indrelid::regclass::text, ci.relname, k.oid IS NOT NULL,
       COALESCE(pg_get_constraintdef(k.oid), pg_get_indexdef(i.indexrelid))
FROM pg_index i
JOIN pg_class ci ON ci.oid = i.indexrelid
LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.contype IN ('u', 'x')
WHERE i.indrelid = ANY(CAST(:tables AS regclass[])) AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
ORDER BY 1, 2
"""
