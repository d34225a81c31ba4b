"""A high-risk listing sent again with other dates (the day it was lifted) amends
the listing, as a record is amended; the columns say which import did it and what
it changed, so rolling that import back restores it.

Revision ID: 0025_region_amendments
Revises: 0024_cache_generations
Create Date: 2026-11-30 00:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0025_region_amendments"
down_revision: str | None = "0024_cache_generations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("high_risk_regions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amended_by", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "amended_from",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.create_index(
            batch_op.f("ix_high_risk_regions_amended_by"), ["amended_by"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_high_risk_regions_amended_by_import_batches"),
            "import_batches",
            ["amended_by"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("high_risk_regions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_high_risk_regions_amended_by_import_batches"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_high_risk_regions_amended_by"))
        batch_op.drop_column("amended_from")
        batch_op.drop_column("amended_by")
