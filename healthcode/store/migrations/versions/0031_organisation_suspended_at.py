"""An organisation keeps since when it is suspended (``suspended_at``): the offline
scans its checkpoints made before the suspension, uploaded after it, are recorded
instead of refused with the rest.

An organisation suspended before this revision takes the instant of the upgrade: what
its checkpoints scanned offline before then and upload later is recorded.

Revision ID: 0031_organisation_suspended_at
Revises: 0030_policy_versions
Create Date: 2026-11-30 14:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from healthcode.store.types import UTCDateTime

revision: str = "0031_organisation_suspended_at"
down_revision: str | None = "0030_policy_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        when: sa.Column[datetime] = sa.Column(
            "suspended_at", UTCDateTime(timezone=True), nullable=True
        )
        batch_op.add_column(when)
    organisations = sa.table(
        "organisations",
        sa.column("status", sa.String()),
        sa.column("suspended_at", UTCDateTime(timezone=True)),
    )
    op.execute(
        organisations.update()
        .where(organisations.c.status == "suspended")
        .values(suspended_at=datetime.now(UTC))
    )


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("suspended_at")
