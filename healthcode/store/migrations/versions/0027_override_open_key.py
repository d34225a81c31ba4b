"""One open proposal of a manual colour per resident and code: ``open_key``
(``<resident>:<policy>``) while it is proposed, NULL once decided, unique, as
appeals and fraud cases have. A double click made two proposals, both approved,
and an upheld appeal against one left the code painted by the other.

Revision ID: 0027_override_open_key
Revises: 0026_credit_appeals
Create Date: 2026-11-30 01:00:00.000000
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_override_open_key"
down_revision: str | None = "0026_credit_appeals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("colour_overrides", schema=None) as batch_op:
        batch_op.add_column(sa.Column("open_key", sa.String(length=80), nullable=True))
    _key_open_proposals()
    with op.batch_alter_table("colour_overrides", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_colour_overrides_open_key"), ["open_key"])


def _key_open_proposals() -> None:
    """Proposals open before this revision hold their code's key too (else a second
    one is taken beside them); where a code has two already, the latest holds it and
    the earlier stay open, to be decided as they are."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT id, resident_id, policy_id FROM colour_overrides "
            "WHERE status = 'proposed' ORDER BY proposed_at DESC, id"
        )
    ).all()
    keyed: dict[str, object] = {}
    for row_id, resident_id, policy_id in rows:
        keyed.setdefault(f"{uuid.UUID(str(resident_id))}:{policy_id}", row_id)
    table = sa.table("colour_overrides", sa.column("id"), sa.column("open_key", sa.String()))
    for key, row_id in keyed.items():
        connection.execute(table.update().where(table.c.id == row_id).values(open_key=key))


def downgrade() -> None:
    with op.batch_alter_table("colour_overrides", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_colour_overrides_open_key"), type_="unique")
        batch_op.drop_column("open_key")
