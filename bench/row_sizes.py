"""Bytes per row of every table on PostgreSQL, for the sizing in docs/deployment.md.

Not a benchmark (``make bench`` does not run it): a measurement of a populated schema.
For each table with rows: the rows, the mean ``pg_column_size`` of a whole row (the
tuple as stored, without its 23-byte header and line pointer) and the table's total
size with its indexes and TOAST per row (``pg_total_relation_size``; a partitioned
table's partitions summed).

    HEALTHCODE_DATABASE_URL=postgresql://…?options=-csearch_path%3Dschema \\
        .venv/bin/python -m bench.row_sizes
"""

from __future__ import annotations

from sqlalchemy import text

from healthcode.config import Settings
from healthcode.store.db import make_engine
from healthcode.store.tables import Base

TOTAL = text(
    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
    "WHERE c.oid = to_regclass(:t) OR c.oid IN "
    "(SELECT inhrelid FROM pg_inherits WHERE inhparent = to_regclass(:t))"
)


def main() -> None:
    engine = make_engine(Settings().database_url)
    print("| table | rows | bytes/row (pg_column_size) | bytes/row with indexes |")
    print("|---|---:|---:|---:|")
    with engine.connect() as conn:
        for table in sorted(Base.metadata.tables):
            rows = conn.scalar(text(f'SELECT count(*) FROM "{table}"')) or 0
            if not rows:
                continue
            size = conn.scalar(text(f'SELECT avg(pg_column_size(x.*)) FROM "{table}" x'))
            total = conn.scalar(TOTAL, {"t": table}) or 0
            print(f"| {table} | {rows} | {float(size):.0f} | {total / rows:.0f} |")
    engine.dispose()


if __name__ == "__main__":
    main()
