"""A paper pass keeps the id of the key that signed its token (``paper_passes.kid``),
so `keys retire` can tell how many standing cards the key's retirement would void.

Passes printed before this revision take the key whose signing window held their
issue time: keys' windows do not overlap, and a token is only valid within its key's
window, so that is the key that signed it.

Revision ID: 0034_paper_pass_kid
Revises: 0033_code_states_ahead
Create Date: 2026-12-01 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034_paper_pass_kid"
down_revision: str | None = "0033_code_states_ahead"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNER = """
UPDATE paper_passes SET kid = (
    SELECT k.kid FROM signing_keys k
    WHERE k.valid_from <= paper_passes.issued_at
      AND (k.valid_until IS NULL OR paper_passes.issued_at < k.valid_until)
    ORDER BY k.valid_from DESC LIMIT 1
)
"""


def upgrade() -> None:
    with op.batch_alter_table("paper_passes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kid", sa.LargeBinary(length=8), nullable=True))
        batch_op.create_index(batch_op.f("ix_paper_passes_kid"), ["kid"], unique=False)
    op.execute(SIGNER)


def downgrade() -> None:
    with op.batch_alter_table("paper_passes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_passes_kid"))
        batch_op.drop_column("kid")
