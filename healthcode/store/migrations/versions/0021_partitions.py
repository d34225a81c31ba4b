"""Scans and daily reports partitioned by month on PostgreSQL (``scanned_at``, ``day``),
the partition key in each primary key; SQLite keeps plain tables.

A partitioned table's unique keys must hold its partition key, so a venue's scanner
``client_id`` is unique together with ``scanned_at`` (``Scans.record_once`` keeps it
unique per venue under races with a lock), and a fraud case keeps its scan's id
without a foreign key (a scan's partition may be dropped by retention; the case
stays). The existing rows are copied into the partitions (a month's partition for
every month they cover, three months ahead, and a default partition).

Every row of a resident's is keyed by the resident, the distribution key of a
sharded database (docs/deployment.md): colour changes, signatures and appeal steps
get ``resident_id``, filled from their code, application and appeal.

Revision ID: 0021_partitions
Revises: 0020_fraud
Create Date: 2026-11-28 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Connection

from healthcode.domain.clock import TZ
from healthcode.store import partitions

revision: str = "0021_partitions"
down_revision: str | None = "0020_fraud"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AHEAD = 3  # months of partitions made now; the `partitions` job keeps this many ahead
FRAUD_FK = "fk_fraud_cases_scan_id_scans"
CLIENT_ID = "uq_scans_venue_client_id"

# what each table carries besides its columns (as 0001 and 0016 made them)
FOREIGN_KEYS = {
    "scans": (
        ("fk_scans_operator_id_accounts", "operator_id", "accounts", ""),
        ("fk_scans_released_by_accounts", "released_by", "accounts", ""),
        ("fk_scans_resident_id_residents", "resident_id", "residents", "ON DELETE SET NULL"),
        ("fk_scans_venue_id_venues", "venue_id", "venues", "ON DELETE CASCADE"),
    ),
    "daily_reports": (
        ("fk_daily_reports_resident_id_residents", "resident_id", "residents", "ON DELETE CASCADE"),
    ),
}
INDEXES = {
    "scans": (
        ("ix_scans_fingerprint_scanned_at", "token_fingerprint, scanned_at"),
        ("ix_scans_resident_scanned_at", "resident_id, scanned_at"),
        ("ix_scans_venue_scanned_at", "venue_id, scanned_at"),
    ),
    "daily_reports": (("ix_daily_reports_resident_day", "resident_id, day"),),
}


# a resident's rows that lacked resident_id, and where it comes from
KEYED = (
    ("colour_changes", "codes", "code_id"),
    ("signatures", "declarations", "declaration_id"),
    ("appeal_steps", "appeals", "appeal_id"),
)


def upgrade() -> None:
    for table, parent, column in KEYED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("resident_id", sa.Uuid(), nullable=True))
        op.execute(
            f"UPDATE {table} SET resident_id = "
            f"(SELECT resident_id FROM {parent} WHERE {parent}.id = {table}.{column})"
        )
        op.execute(f"DELETE FROM {table} WHERE resident_id IS NULL")  # no resident: orphans
        with op.batch_alter_table(table) as batch:
            batch.alter_column("resident_id", existing_type=sa.Uuid(), nullable=False)
            batch.create_foreign_key(
                f"fk_{table}_resident_id_residents",
                "residents",
                ["resident_id"],
                ["id"],
                ondelete="CASCADE",
            )
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        with op.batch_alter_table("fraud_cases") as batch:
            batch.drop_constraint(FRAUD_FK, type_="foreignkey")
        with op.batch_alter_table("scans") as batch:
            batch.drop_constraint(CLIENT_ID, type_="unique")
            batch.create_unique_constraint(CLIENT_ID, ["venue_id", "client_id", "scanned_at"])
        return
    op.drop_constraint(FRAUD_FK, "fraud_cases", type_="foreignkey")
    for spec in partitions.TABLES:
        _rebuild(bind, spec, partitioned=True)
    first = bind.exec_driver_sql(
        "SELECT least((SELECT min(scanned_at) FROM scans_old), "
        "(SELECT min(day)::timestamptz FROM daily_reports_old))"
    ).scalar()
    today = datetime.now(TZ).date()
    since = first.astimezone(TZ).date() if first is not None else today
    partitions.ensure(bind, today=today, ahead=AHEAD, since=min(since, today))
    for spec in partitions.TABLES:
        _copy_and_drop(bind, spec.table)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        with op.batch_alter_table("scans") as batch:
            batch.drop_constraint(CLIENT_ID, type_="unique")
            batch.create_unique_constraint(CLIENT_ID, ["venue_id", "client_id"])
        _forget_dropped_scans()
        with op.batch_alter_table("fraud_cases") as batch:
            batch.create_foreign_key(FRAUD_FK, "scans", ["scan_id"], ["id"], ondelete="CASCADE")
    else:
        for spec in partitions.TABLES:
            _rebuild(bind, spec, partitioned=False)
            _copy_and_drop(bind, spec.table)
        _forget_dropped_scans()
        op.create_foreign_key(
            FRAUD_FK, "fraud_cases", "scans", ["scan_id"], ["id"], ondelete="CASCADE"
        )
    for table, _parent, _column in KEYED:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_resident_id_residents", type_="foreignkey")
            batch.drop_column("resident_id")


def _rebuild(bind: Connection, spec: partitions.Partitioned, *, partitioned: bool) -> None:
    """Set the table aside as ``<table>_old`` without its keys and indexes, and make
    the new one beside it with the same columns: partitioned, or plain again."""
    table, old = spec.table, f"{spec.table}_old"
    sql = bind.exec_driver_sql
    sql(f"ALTER TABLE {table} RENAME TO {old}")
    sql(f"ALTER TABLE {old} DROP CONSTRAINT pk_{table}")
    if table == "scans":
        sql(f"ALTER TABLE {old} DROP CONSTRAINT {CLIENT_ID}")
    for name, *_rest in FOREIGN_KEYS[table]:
        sql(f"ALTER TABLE {old} DROP CONSTRAINT {name}")
    for name, _columns in INDEXES[table]:
        sql(f"DROP INDEX {name}")
    layout = f" PARTITION BY RANGE ({spec.key})" if partitioned else ""
    sql(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS){layout}")
    key = f", {spec.key}" if partitioned else ""
    sql(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY (id{key})")
    if table == "scans":
        sql(f"ALTER TABLE scans ADD CONSTRAINT {CLIENT_ID} UNIQUE (venue_id, client_id{key})")
    for name, column, parent, action in FOREIGN_KEYS[table]:
        sql(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({column}) "
            f"REFERENCES {parent} (id) {action}"
        )
    for name, columns in INDEXES[table]:
        sql(f"CREATE INDEX {name} ON {table} ({columns})")
    if partitioned:
        sql(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")


def _copy_and_drop(bind: Connection, table: str) -> None:
    bind.exec_driver_sql(f"INSERT INTO {table} SELECT * FROM {table}_old")
    bind.exec_driver_sql(f"DROP TABLE {table}_old")


def _forget_dropped_scans() -> None:
    """Fraud cases whose scan retention dropped go, as the foreign key's cascade would
    have taken them."""
    op.execute("DELETE FROM fraud_cases WHERE scan_id NOT IN (SELECT id FROM scans)")
