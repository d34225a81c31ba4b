"""An appeal may dispute a credit record (a confirmed fraud finding): the fraud
rule's next step told the resident to appeal, and there was nothing to appeal.

Revision ID: 0026_credit_appeals
Revises: 0025_region_amendments
Create Date: 2026-11-30 00:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026_credit_appeals"
down_revision: str | None = "0025_region_amendments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credit_record_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_appeals_credit_record_id"), ["credit_record_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_appeals_credit_record_id_credit_records"),
            "credit_records",
            ["credit_record_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_appeals_credit_record_id_credit_records"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_appeals_credit_record_id"))
        batch_op.drop_column("credit_record_id")
