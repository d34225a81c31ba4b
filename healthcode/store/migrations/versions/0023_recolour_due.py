"""An import's recolouring owed until done: ``import_batches.recolour_due_at`` is set
in the transaction that commits a batch or its rollback, and cleared once the
residents it touched are recoloured. A process killed in between (the recolouring
runs after the commit) leaves it set, and the scheduler's ``recolour_pending`` job
finishes the work. Batches imported before this revision were recoloured then.

Revision ID: 0023_recolour_due
Revises: 0022_region_revisions
Create Date: 2026-11-29 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from healthcode.store.types import UTCDateTime

revision: str = "0023_recolour_due"
down_revision: str | None = "0022_region_revisions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recolour_due_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_import_batches_recolour_due_at", ["recolour_due_at"])


def downgrade() -> None:
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.drop_index("ix_import_batches_recolour_due_at")
        batch_op.drop_column("recolour_due_at")
