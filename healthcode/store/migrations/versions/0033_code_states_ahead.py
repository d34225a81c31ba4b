"""A code keeps the states time alone brings next (``codes.ahead``), so the rollover
advances it in SQL without the engine (docs/batches.md, "States ahead").

Existing codes have none: the rollover evaluates them as before, and each evaluation
writes its states ahead.

Revision ID: 0033_code_states_ahead
Revises: 0032_declaration_resident_index
Create Date: 2026-11-30 20:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from healthcode.store.types import JSONType

revision: str = "0033_code_states_ahead"
down_revision: str | None = "0032_declaration_resident_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ahead", JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("codes", schema=None) as batch_op:
        batch_op.drop_column("ahead")
