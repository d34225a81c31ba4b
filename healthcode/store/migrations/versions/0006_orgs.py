"""Issuer applications keep the applicant's phone (sealed) and the region they stated.

Revision ID: 0006_orgs
Revises: 0005_organisations
Create Date: 2026-11-28 10:12:42.384721
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_orgs"
down_revision: str | None = "0005_organisations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("authorisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_cipher", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("region_code", sa.String(length=6), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("authorisations", schema=None) as batch_op:
        batch_op.drop_column("region_code")
        batch_op.drop_column("phone_cipher")
