"""Colour history in commit order, once per change; the issuer queue by awaited application.

``colour_changes.seq`` numbers each code's changes 1, 2, … and is unique per code, so
two writers working from the same stale state (two rollovers at once) cannot both
record a change: the second one's insert fails. ``codes.history_seq`` holds the last
number handed out (its server default stays: on SQLite, dropping it would rebuild
``codes``, and dropping the old table cascades to its history). ``codes.awaiting_id``
is the application an issuer may sign: the pending one, or a new application under
review while a signed pass still stands.

Revision ID: 0002_races
Revises: 0001
Create Date: 2026-11-28 07:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_races"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Existing history, numbered in the order it happened (ties by id).
_NUMBER_CHANGES = """
UPDATE colour_changes SET seq = (
    SELECT COUNT(*) FROM colour_changes AS earlier
    WHERE earlier.code_id = colour_changes.code_id
      AND (earlier.at < colour_changes.at
           OR (earlier.at = colour_changes.at AND earlier.id <= colour_changes.id))
)
"""
_LAST_NUMBER = """
UPDATE codes SET history_seq = (
    SELECT COUNT(*) FROM colour_changes WHERE colour_changes.code_id = codes.id
)
"""
_AWAITING = "UPDATE codes SET awaiting_id = application_id WHERE colour = 'pending'"


def upgrade() -> None:
    with op.batch_alter_table("codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("awaiting_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("history_seq", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index(batch_op.f("ix_codes_awaiting_id"), ["awaiting_id"], unique=False)
    with op.batch_alter_table("colour_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
    op.execute(_NUMBER_CHANGES)
    op.execute(_LAST_NUMBER)
    op.execute(_AWAITING)
    with op.batch_alter_table("colour_changes", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint("uq_colour_changes_code_seq", ["code_id", "seq"])


def downgrade() -> None:
    with op.batch_alter_table("colour_changes", schema=None) as batch_op:  # a leaf: safe to rebuild
        batch_op.drop_constraint("uq_colour_changes_code_seq", type_="unique")
        batch_op.drop_column("seq")
    op.drop_index(op.f("ix_codes_awaiting_id"), table_name="codes")
    # Not in batch mode: on SQLite a rebuilt ``codes`` would cascade-delete its history.
    op.execute("ALTER TABLE codes DROP COLUMN history_seq")
    op.execute("ALTER TABLE codes DROP COLUMN awaiting_id")
