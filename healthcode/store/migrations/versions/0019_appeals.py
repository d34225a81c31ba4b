"""Appeals (申诉): a resident disputes a department record or a manual colour; the
appeal and its timeline steps. One open appeal per record (``open_key`` unique). Data
sharing out: the department clients granted colour look-ups (``lookup_grants``).

Revision ID: 0019_appeals
Revises: 0018_records
Create Date: 2026-11-28 13:14:36.306736
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import healthcode.store.types

revision: str = "0019_appeals"
down_revision: str | None = "0018_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appeals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("policy_id", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=True),
        sa.Column("override_id", sa.Uuid(), nullable=True),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("evidence_key", sa.String(length=128), nullable=True),
        sa.Column("evidence_type", sa.String(length=64), nullable=True),
        sa.Column("evidence_size", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("open_key", sa.String(length=80), nullable=True),
        sa.Column("colour_before", sa.String(length=8), nullable=False),
        sa.Column(
            "submitted_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["accounts.id"], name=op.f("fk_appeals_decided_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_appeals_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["override_id"],
            ["colour_overrides.id"],
            name=op.f("fk_appeals_override_id_colour_overrides"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["data_records.id"],
            name=op.f("fk_appeals_record_id_data_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_appeals_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
        sa.UniqueConstraint("open_key", name=op.f("uq_appeals_open_key")),
    )
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeals_department"), ["department"], unique=False)
        batch_op.create_index(batch_op.f("ix_appeals_override_id"), ["override_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_appeals_record_id"), ["record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_appeals_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_appeals_resident_id"), ["resident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_appeals_status"), ["status"], unique=False)

    op.create_table(
        "appeal_steps",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("appeal_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", healthcode.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("colour", sa.String(length=8), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeals.id"],
            name=op.f("fk_appeal_steps_appeal_id_appeals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_steps")),
        sa.UniqueConstraint("appeal_id", "seq", name=op.f("uq_appeal_steps_appeal_id")),
    )
    with op.batch_alter_table("appeal_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeal_steps_appeal_id"), ["appeal_id"], unique=False)

    op.create_table(
        "lookup_grants",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("granted_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("granted_by", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["department_clients.id"],
            name=op.f("fk_lookup_grants_client_id_department_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_lookup_grants")),
    )


def downgrade() -> None:
    op.drop_table("lookup_grants")
    with op.batch_alter_table("appeal_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeal_steps_appeal_id"))

    op.drop_table("appeal_steps")
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeals_status"))
        batch_op.drop_index(batch_op.f("ix_appeals_resident_id"))
        batch_op.drop_index(batch_op.f("ix_appeals_region_code"))
        batch_op.drop_index(batch_op.f("ix_appeals_record_id"))
        batch_op.drop_index(batch_op.f("ix_appeals_override_id"))
        batch_op.drop_index(batch_op.f("ix_appeals_department"))

    op.drop_table("appeals")
