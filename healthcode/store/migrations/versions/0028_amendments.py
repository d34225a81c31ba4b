"""Every amendment of a record or listing kept, in order (``amendments``), in place
of the last one only (``amended_by``, ``amended_from``): rolling back two imports
that amended one record, in either order, left the values of the first of them,
though both were rolled back.

Revision ID: 0028_amendments
Revises: 0027_override_open_key
Create Date: 2026-11-30 05:20:00.000000
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0028_amendments"
down_revision: str | None = "0027_override_open_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TARGETS = (("data_records", "record_id"), ("high_risk_regions", "listing_id"))


def upgrade() -> None:
    amendments = op.create_table(
        "amendments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=True),
        sa.Column("listing_id", sa.Uuid(), nullable=True),
        sa.Column("before", _JSON, nullable=False),
        sa.Column("after", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_amendments_batch_id_import_batches"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["data_records.id"],
            name=op.f("fk_amendments_record_id_data_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["high_risk_regions.id"],
            name=op.f("fk_amendments_listing_id_high_risk_regions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_amendments")),
    )
    with op.batch_alter_table("amendments", schema=None) as batch_op:
        for column in ("batch_id", "record_id", "listing_id"):
            batch_op.create_index(batch_op.f(f"ix_amendments_{column}"), [column], unique=False)
    for table, key in _TARGETS:
        _keep_last_amendments(amendments, table, key)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_amended_by_import_batches"), type_="foreignkey"
            )
            batch_op.drop_index(batch_op.f(f"ix_{table}_amended_by"))
            batch_op.drop_column("amended_from")
            batch_op.drop_column("amended_by")


def _keep_last_amendments(amendments: sa.Table, table: str, key: str) -> None:
    """The one amendment each row kept, unless its import was rolled back (a
    record's was then cleared; a listing's held what the rollback undid)."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            f"SELECT t.*, b.status AS batch_status FROM {table} t "
            "JOIN import_batches b ON b.id = t.amended_by "
            "WHERE t.amended_from IS NOT NULL AND b.status <> 'rolled_back' ORDER BY t.id"
        )
    ).mappings()
    links = [
        {
            "batch_id": _uuid(row["amended_by"]),
            key: _uuid(row["id"]),
            "before": _json(row["amended_from"]),
            "after": {name: _value(row[name]) for name in _json(row["amended_from"])},
        }
        for row in rows
    ]
    if links:
        op.bulk_insert(amendments, links)


def _uuid(value: Any) -> uuid.UUID:
    """An id as read by plain SQL: a UUID on PostgreSQL, its hex text on SQLite."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _json(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value)


def _value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def downgrade() -> None:
    """The columns come back empty: a rollback after it restores nothing."""
    for table, _key in _TARGETS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("amended_by", sa.Uuid(), nullable=True))
            batch_op.add_column(sa.Column("amended_from", _JSON, nullable=True))
            batch_op.create_index(
                batch_op.f(f"ix_{table}_amended_by"), ["amended_by"], unique=False
            )
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_amended_by_import_batches"),
                "import_batches",
                ["amended_by"],
                ["id"],
                ondelete="RESTRICT",
            )
    op.drop_table("amendments")
