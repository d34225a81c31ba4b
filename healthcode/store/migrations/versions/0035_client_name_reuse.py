"""A department client's name is unique among the active clients only
(``uq_department_clients_active_name``, partial): a revoked client's name could
never be given again, so a retired system's successor had to be named otherwise
(an outside probe, stop 44). The revoked client keeps its name, batches and audit
trail.

Revision ID: 0035_client_name_reuse
Revises: 0034_paper_pass_kid
Create Date: 2026-12-02 15:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035_client_name_reuse"
down_revision: str | None = "0034_paper_pass_kid"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("revoked_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("department_clients", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_department_clients_name"), type_="unique")
        batch_op.create_index(
            batch_op.f("uq_department_clients_active_name"),
            ["name"],
            unique=True,
            sqlite_where=ACTIVE,
            postgresql_where=ACTIVE,
        )


def downgrade() -> None:
    """Fails while two clients share a name (one revoked): rename one first."""
    with op.batch_alter_table("department_clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("uq_department_clients_active_name"))
        batch_op.create_unique_constraint(batch_op.f("uq_department_clients_name"), ["name"])
