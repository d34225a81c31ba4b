"""Video calls (视频通话) between an issuer and an applicant: start, end, the reading;
never the media.

Revision ID: 0009_calls
Revises: 0008_staff
Create Date: 2026-11-28 10:13:28.958419
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import healthcode.store.types

revision: str = "0009_calls"
down_revision: str | None = "0008_staff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "video_calls",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("issuer_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("offered_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.Uuid(), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.Column("temperature", sa.Double(), nullable=True),
        sa.Column("reading_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reading_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["declarations.id"],
            name=op.f("fk_video_calls_application_id_declarations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ended_by"], ["accounts.id"], name=op.f("fk_video_calls_ended_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["accounts.id"], name=op.f("fk_video_calls_issuer_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_video_calls_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["reading_by"], ["accounts.id"], name=op.f("fk_video_calls_reading_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_video_calls_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_calls")),
    )
    with op.batch_alter_table("video_calls", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_video_calls_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_video_calls_resident_id"), ["resident_id"], unique=False
        )
        batch_op.create_index(
            "uq_video_calls_live_application",
            ["application_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('ringing', 'active')"),
            postgresql_where=sa.text("status IN ('ringing', 'active')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("video_calls", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_video_calls_live_application",
            sqlite_where=sa.text("status IN ('ringing', 'active')"),
            postgresql_where=sa.text("status IN ('ringing', 'active')"),
        )
        batch_op.drop_index(batch_op.f("ix_video_calls_resident_id"))
        batch_op.drop_index(batch_op.f("ix_video_calls_application_id"))

    op.drop_table("video_calls")
