"""A generation per cache space, moved on by a process that writes colours outside
the servers (the command line: an import, a rollback, a policy change run by hand).
Each server process looks every second and forgets its cached colours when it
moved: its own cache is in its memory, where the command line's forget never
reached, and a green entry has no ``recheck_at`` to end it.

Revision ID: 0024_cache_generations
Revises: 0023_recolour_due
Create Date: 2026-11-29 21:15:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_cache_generations"
down_revision: str | None = "0023_recolour_due"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cache_generations",
        sa.Column("space", sa.String(length=32), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("space", name=op.f("pk_cache_generations")),
    )


def downgrade() -> None:
    op.drop_table("cache_generations")
