"""Scans of other regions' codes (issue 12 items 4-5): the region and the claims as
that region sent them, on the scan record.

Revision ID: 0020_foreign_scans
Revises: 0019_appeals
Create Date: 2026-11-28 16:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020_foreign_scans"
down_revision: str | None = "0019_appeals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region_code", sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column("region_name", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column(
                "foreign_claims",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_column("foreign_claims")
        batch_op.drop_column("region_name")
        batch_op.drop_column("region_code")
