"""Signed lists: the list-signing keys, each list's version and items (for deltas),
and the federated regions whose codes scanners accept.

Revision ID: 0013_lists
Revises: 0011_notices
Create Date: 2026-11-28 13:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import healthcode.store.types

revision: str = "0013_lists"
down_revision: str | None = "0011_notices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TIME = healthcode.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "list_signing_keys",
        sa.Column("kid", sa.LargeBinary(length=8), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("private_cipher", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("valid_from", _TIME, nullable=False),
        sa.Column("valid_until", _TIME, nullable=True),
        sa.Column("retired_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_list_signing_keys")),
    )
    op.create_table(
        "list_heads",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_list_heads")),
    )
    op.create_table(
        "list_entries",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("item", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("entry", _JSON, nullable=True),
        sa.PrimaryKeyConstraint("name", "item", name=op.f("pk_list_entries")),
    )
    with op.batch_alter_table("list_entries", schema=None) as batch_op:
        batch_op.create_index("ix_list_entries_name_version", ["name", "version"], unique=False)
    op.create_table(
        "federated_regions",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("region", _JSON, nullable=False),
        sa.Column("keys", _JSON, nullable=False),
        sa.Column("imported_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_federated_regions")),
    )


def downgrade() -> None:
    op.drop_table("federated_regions")
    with op.batch_alter_table("list_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_list_entries_name_version")
    op.drop_table("list_entries")
    op.drop_table("list_heads")
    op.drop_table("list_signing_keys")
