"""Department records: kinds, provenance (department + source id, unique), import
batches and their refused rows, withdrawal, high-risk regions, department clients.

Revision ID: 0018_records
Revises: 0011_notices
Create Date: 2026-11-28 13:15:56.627411
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import healthcode.store.types

revision: str = "0018_records"
down_revision: str | None = "0011_notices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "department_clients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=24), nullable=False),
        sa.Column(
            "kinds",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("region", sa.String(length=6), nullable=True),
        sa.Column("key_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("key_prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["accounts.id"],
            name=op.f("fk_department_clients_created_by_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department_clients")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_department_clients_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_department_clients_name")),
    )
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("department", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("started_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_added", sa.Integer(), nullable=False),
        sa.Column("rows_unchanged", sa.Integer(), nullable=False),
        sa.Column("rows_refused", sa.Integer(), nullable=False),
        sa.Column("rows_unmatched", sa.Integer(), nullable=False),
        sa.Column("residents_touched", sa.Integer(), nullable=False),
        sa.Column(
            "rolled_back_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("rolled_back_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_import_batches_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["department_clients.id"],
            name=op.f("fk_import_batches_client_id_department_clients"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rolled_back_by"],
            ["accounts.id"],
            name=op.f("fk_import_batches_rolled_back_by_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_batches_region"), ["region"], unique=False)

    op.create_table(
        "high_risk_regions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("department", sa.String(length=24), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=True),
        sa.Column("received_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_high_risk_regions_batch_id_import_batches"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_high_risk_regions")),
        sa.UniqueConstraint(
            "department", "source_id", name=op.f("uq_high_risk_regions_department")
        ),
    )
    with op.batch_alter_table("high_risk_regions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_high_risk_regions_batch_id"), ["batch_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_high_risk_regions_region"), ["region"], unique=False)

    op.create_table(
        "import_refusals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_import_refusals_batch_id_import_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_refusals")),
    )
    with op.batch_alter_table("import_refusals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_refusals_batch_id"), ["batch_id"], unique=False)

    with op.batch_alter_table("data_records", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("department", sa.String(length=24), server_default="health", nullable=False)
        )
        batch_op.add_column(sa.Column("source_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("batch_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("setting", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("detail", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "withdrawn_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("withdrawn_reason", sa.String(length=500), nullable=True))
        batch_op.create_index(batch_op.f("ix_data_records_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index("ix_data_records_kind_region", ["kind", "region"], unique=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_data_records_department"), ["department", "source_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_data_records_batch_id_import_batches"),
            "import_batches",
            ["batch_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("data_records", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_data_records_batch_id_import_batches"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_data_records_department"), type_="unique")
        batch_op.drop_index("ix_data_records_kind_region")
        batch_op.drop_index(batch_op.f("ix_data_records_batch_id"))
        batch_op.drop_column("withdrawn_reason")
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("detail")
        batch_op.drop_column("setting")
        batch_op.drop_column("batch_id")
        batch_op.drop_column("source_id")
        batch_op.drop_column("department")

    with op.batch_alter_table("import_refusals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_refusals_batch_id"))

    op.drop_table("import_refusals")
    with op.batch_alter_table("high_risk_regions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_high_risk_regions_region"))
        batch_op.drop_index(batch_op.f("ix_high_risk_regions_batch_id"))

    op.drop_table("high_risk_regions")
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_batches_region"))

    op.drop_table("import_batches")
    op.drop_table("department_clients")
