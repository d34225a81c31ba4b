"""A federated region's revision, drawn anew by every import: a gate reads the regions'
revisions (two short columns) on each foreign scan and parses an entry and its keys
again only when one changed, instead of reading and comparing every entry's JSON. A
random id, not a counter: a database restored from a backup, or another database
served by the same process, cannot present an old revision with new keys.

Revision ID: 0022_region_revisions
Revises: 0021_partitions
Create Date: 2026-11-29 04:00:00.000000
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_region_revisions"
down_revision: str | None = "0021_partitions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("federated_regions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Uuid(), nullable=True))
    connection = op.get_bind()
    regions = sa.table("federated_regions", sa.column("code"), sa.column("revision", sa.Uuid()))
    for (code,) in connection.execute(sa.select(regions.c.code)).all():
        connection.execute(
            regions.update().where(regions.c.code == code).values(revision=uuid.uuid4())
        )
    with op.batch_alter_table("federated_regions", schema=None) as batch_op:
        batch_op.alter_column("revision", existing_type=sa.Uuid(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("federated_regions", schema=None) as batch_op:
        batch_op.drop_column("revision")
