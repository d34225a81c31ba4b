"""Monthly partitions of the two tables that grow with time: scans (by ``scanned_at``)
and daily reports (by ``day``), on PostgreSQL (docs/deployment.md).

A month's partition is named ``<table>_yYYYYmMM`` and holds the Asia/Shanghai
calendar month; ``<table>_default`` catches a row no month holds yet (a scanner's
clock far off), and moves into its month when that month's partition is made. A
partition is made beside the table and then attached, so a busy table is never
locked for long. SQLite keeps plain tables: there, retention deletes the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, Date, bindparam, text

from healthcode.domain.clock import TZ
from healthcode.store.types import UTCDateTime


@dataclass(frozen=True)
class Partitioned:
    table: str
    key: str
    instant: bool  # the key is a timestamptz (else a date)

    def bound(self, month: date) -> str:
        """The SQL literal of the first instant (or day) of ``month``."""
        if self.instant:
            return f"'{datetime(month.year, month.month, 1, tzinfo=TZ).isoformat()}'"
        return f"'{month.isoformat()}'"


SCANS = Partitioned("scans", "scanned_at", instant=True)
DAILY_REPORTS = Partitioned("daily_reports", "day", instant=False)
TABLES = (SCANS, DAILY_REPORTS)


def is_partition(name: str) -> bool:
    """A month's or the default partition of one of the tables (not a table to compare
    with the models)."""
    return any(
        name == f"{spec.table}_default"
        or (name.startswith(f"{spec.table}_y") and len(name) == len(spec.table) + 9)
        for spec in TABLES
    )


def month_of(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: date) -> str:
    return f"{table}_y{month.year:04d}m{month.month:02d}"


def is_partitioned(conn: Connection, table: str) -> bool:
    query = text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:table)")
    return conn.dialect.name == "postgresql" and conn.scalar(query, {"table": table}) == "p"


def months(conn: Connection, table: str) -> list[date]:
    """The months ``table`` has a partition for, oldest first (none on SQLite)."""
    if not is_partitioned(conn, table):
        return []
    query = text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(:table)"
    )
    prefix = f"{table}_y"
    found = []
    for (name,) in conn.execute(query, {"table": table}):
        if name.startswith(prefix) and len(name) == len(prefix) + 7:
            found.append(date(int(name[-7:-3]), int(name[-2:]), 1))
    return sorted(found)


def ensure(conn: Connection, *, today: date, ahead: int, since: date | None = None) -> list[str]:
    """Make the missing monthly partitions from ``since`` (else this month) to
    ``ahead`` months after this one; the names made (none on SQLite)."""
    made: list[str] = []
    for spec in TABLES:
        if not is_partitioned(conn, spec.table):
            continue
        have = set(months(conn, spec.table))
        month, last = month_of(since or today), add_months(month_of(today), ahead)
        while month <= last:
            if month not in have:
                made.append(_attach(conn, spec, month))
            month = add_months(month, 1)
    return made


def _attach(conn: Connection, spec: Partitioned, month: date) -> str:
    """Make one month's partition beside the table, move into it the rows the default
    partition holds for that month, and attach it."""
    table, name = spec.table, partition_name(spec.table, month)
    low, high = spec.bound(month), spec.bound(add_months(month, 1))
    within = f'"{spec.key}" >= {low} AND "{spec.key}" < {high}'
    conn.exec_driver_sql(
        f'CREATE TABLE "{name}" (LIKE "{table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)'
    )
    conn.exec_driver_sql(
        f'WITH moved AS (DELETE FROM "{spec.table}_default" WHERE {within} RETURNING *) '
        f'INSERT INTO "{name}" SELECT * FROM moved'
    )
    conn.exec_driver_sql(
        f'ALTER TABLE "{table}" ATTACH PARTITION "{name}" FOR VALUES FROM ({low}) TO ({high})'
    )
    return name


@dataclass(frozen=True)
class Retired:
    before: date  # rows before this month's first day (Asia/Shanghai) are gone
    dropped: tuple[str, ...]  # partitions dropped (PostgreSQL)
    deleted: int  # rows deleted (SQLite; PostgreSQL: from the default partitions)


def retire(conn: Connection, *, cutoff: date) -> Retired:
    """Remove every scan and daily report of a month that ended on or before
    ``cutoff``: whole partitions on PostgreSQL, the same rows on SQLite."""
    before = month_of(cutoff)
    dropped: list[str] = []
    deleted = 0
    for spec in TABLES:
        if is_partitioned(conn, spec.table):
            for month in months(conn, spec.table):
                if add_months(month, 1) <= before:
                    name = partition_name(spec.table, month)
                    conn.exec_driver_sql(f'ALTER TABLE "{spec.table}" DETACH PARTITION "{name}"')
                    conn.exec_driver_sql(f'DROP TABLE "{name}"')
                    dropped.append(name)
            target = f"{spec.table}_default"
        else:
            target = spec.table
        older = text(f'DELETE FROM "{target}" WHERE "{spec.key}" < :before').bindparams(
            bindparam("before", type_=UTCDateTime() if spec.instant else Date())
        )
        start = datetime(before.year, before.month, 1, tzinfo=TZ) if spec.instant else before
        deleted += conn.execute(older, {"before": start}).rowcount
    return Retired(before, tuple(dropped), deleted)
