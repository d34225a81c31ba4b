"""Employers' twice-daily staff check-ins (one current per employee, day and window;
a correction keeps the first as history) and each employer's check-in windows.

Revision ID: 0015_checkins
Revises: 0014_paper
Create Date: 2026-11-28 13:03:21.920559
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import healthcode.store.types

revision: str = "0015_checkins"
down_revision: str | None = "0014_paper"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkin_windows",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("morning_from", sa.String(length=5), nullable=False),
        sa.Column("morning_until", sa.String(length=5), nullable=False),
        sa.Column("evening_from", sa.String(length=5), nullable=False),
        sa.Column("evening_until", sa.String(length=5), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_checkin_windows_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["accounts.id"], name=op.f("fk_checkin_windows_updated_by_accounts")
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_checkin_windows")),
    )
    op.create_table(
        "checkins",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("window", sa.String(length=8), nullable=False),
        sa.Column("temperature", sa.Double(), nullable=False),
        sa.Column("symptoms", sa.Boolean(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("at", healthcode.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "superseded_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_checkins_employee_id_employees"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_checkins_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["accounts.id"], name=op.f("fk_checkins_recorded_by_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkins_employee_id"), ["employee_id"], unique=False)
        batch_op.create_index("ix_checkins_org_day", ["organisation_id", "day"], unique=False)
        batch_op.create_index(
            "uq_checkins_current",
            ["employee_id", "day", "window"],
            unique=True,
            sqlite_where=sa.text("superseded_at IS NULL"),
            postgresql_where=sa.text("superseded_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_checkins_current",
            sqlite_where=sa.text("superseded_at IS NULL"),
            postgresql_where=sa.text("superseded_at IS NULL"),
        )
        batch_op.drop_index("ix_checkins_org_day")
        batch_op.drop_index(batch_op.f("ix_checkins_employee_id"))

    op.drop_table("checkins")
    op.drop_table("checkin_windows")
