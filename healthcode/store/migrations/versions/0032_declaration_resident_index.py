"""Declarations keep one index that starts with the resident: ``(resident_id,
policy_id)`` answers every look-up by resident as well, so the index on
``resident_id`` alone only cost each declaration's insert and its binding to the
resident (at the second confirmation) one more index to write.

Revision ID: 0032_declaration_resident_index
Revises: 0031_organisation_suspended_at
Create Date: 2026-11-30 16:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0032_declaration_resident_index"
down_revision: str | None = "0031_organisation_suspended_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_index("ix_declarations_resident_id")


def downgrade() -> None:
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.create_index("ix_declarations_resident_id", ["resident_id"], unique=False)
