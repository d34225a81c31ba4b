"""The optional temperature video of a pass application: one row per application,
the bytes in the blob store.

Revision ID: 0010_videos
Revises: 0009_calls
Create Date: 2026-11-28 10:16:34.232686
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import healthcode.store.types

revision: str = "0010_videos"
down_revision: str | None = "0009_calls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "temperature_videos",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("declaration_id", sa.Uuid(), nullable=False),
        sa.Column("blob_key", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declarations.id"],
            name=op.f("fk_temperature_videos_declaration_id_declarations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_temperature_videos")),
        sa.UniqueConstraint("blob_key", name=op.f("uq_temperature_videos_blob_key")),
        sa.UniqueConstraint("declaration_id", name=op.f("uq_temperature_videos_declaration_id")),
    )
    with op.batch_alter_table("temperature_videos", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_temperature_videos_uploaded_at"), ["uploaded_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("temperature_videos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_temperature_videos_uploaded_at"))

    op.drop_table("temperature_videos")
