"""Scanning: venues and their operators, scan and release records (unique client id
per venue, so an offline upload is recorded once), fraud cases opened at the gate.

Revision ID: 0016_scans
Revises: 0015_checkins
Create Date: 2026-11-28 13:05:11.519668
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import healthcode.store.types

revision: str = "0016_scans"
down_revision: str | None = "0015_checkins"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "venues",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("gate_mode", sa.Boolean(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("created_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["accounts.id"], name=op.f("fk_venues_created_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_venues_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venues")),
        sa.UniqueConstraint("code", name=op.f("uq_venues_code")),
    )
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_venues_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_venues_region_code"), ["region_code"], unique=False)

    op.create_table(
        "scans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=True),
        sa.Column("lane", sa.String(length=16), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("scanned_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=True),
        sa.Column("colour", sa.String(length=8), nullable=True),
        sa.Column("policy_id", sa.String(length=32), nullable=True),
        sa.Column("masked_name", sa.String(length=64), nullable=True),
        sa.Column("valid_until", healthcode.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("token_fingerprint", sa.LargeBinary(length=32), nullable=True),
        sa.Column("resident_id", sa.Uuid(), nullable=True),
        sa.Column("temperature", sa.Double(), nullable=True),
        sa.Column("released_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.Uuid(), nullable=True),
        sa.Column(
            "flags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["accounts.id"], name=op.f("fk_scans_operator_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["released_by"], ["accounts.id"], name=op.f("fk_scans_released_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_scans_resident_id_residents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_scans_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scans")),
        sa.UniqueConstraint("venue_id", "client_id", name="uq_scans_venue_client_id"),
    )
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.create_index(
            "ix_scans_fingerprint_scanned_at", ["token_fingerprint", "scanned_at"], unique=False
        )
        batch_op.create_index(
            "ix_scans_resident_scanned_at", ["resident_id", "scanned_at"], unique=False
        )
        batch_op.create_index("ix_scans_venue_scanned_at", ["venue_id", "scanned_at"], unique=False)

    op.create_table(
        "venue_operators",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("assigned_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_venue_operators_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by"], ["accounts.id"], name=op.f("fk_venue_operators_assigned_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["venues.id"],
            name=op.f("fk_venue_operators_venue_id_venues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_operators")),
        sa.UniqueConstraint("venue_id", "account_id", name="uq_venue_operators_venue_account"),
    )
    with op.batch_alter_table("venue_operators", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_venue_operators_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "fraud_cases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("scan_id", sa.Uuid(), nullable=False),
        sa.Column("resident_id", sa.Uuid(), nullable=True),
        sa.Column("reported_by", sa.Uuid(), nullable=False),
        sa.Column("at", healthcode.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["reported_by"], ["accounts.id"], name=op.f("fk_fraud_cases_reported_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_fraud_cases_resident_id_residents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=op.f("fk_fraud_cases_scan_id_scans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_cases")),
        sa.UniqueConstraint("scan_id", name="uq_fraud_cases_scan_id"),
    )
    with op.batch_alter_table("fraud_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fraud_cases_resident_id"), ["resident_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("fraud_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fraud_cases_resident_id"))

    op.drop_table("fraud_cases")
    with op.batch_alter_table("venue_operators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_venue_operators_account_id"))

    op.drop_table("venue_operators")
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_index("ix_scans_venue_scanned_at")
        batch_op.drop_index("ix_scans_resident_scanned_at")
        batch_op.drop_index("ix_scans_fingerprint_scanned_at")

    op.drop_table("scans")
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_venues_region_code"))
        batch_op.drop_index(batch_op.f("ix_venues_organisation_id"))

    op.drop_table("venues")
