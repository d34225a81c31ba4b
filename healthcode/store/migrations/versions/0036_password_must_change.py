"""A staff account whose password someone else set is marked (``must_change_password``)
until its owner changes it: the first password, which the administrator chose and
knows, stayed in use for ever (an outside probe, stop 44).

Accounts from before this revision take the mark from the audit log: one whose last
password event was its creation by an administrator or at the console
(``staff.account.create``) or an administrator's reset (``staff.password.reset``) is
asked too; one its owner changed since (``staff.password.changed``) is not, nor one
with no such event (the demo's accounts, which ``make run`` signs in with).

Revision ID: 0036_password_must_change
Revises: 0035_client_name_reuse
Create Date: 2026-12-03 10:00:00.000000
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0036_password_must_change"
down_revision: str | None = "0035_client_name_reuse"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# each password event of the audit log: whether it leaves the account marked
MARKS = {
    "staff.account.create": True,  # by an administrator, or at the console
    "staff.password.reset": True,  # likewise
    "staff.password.changed": False,  # by its owner
}


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    _from_the_audit_log()


def _from_the_audit_log() -> None:
    """Each staff account's last password event decides (in the order written)."""
    bind = op.get_bind()
    log = sa.table(
        "audit_log",
        sa.column("id", sa.Uuid()),
        sa.column("at", sa.DateTime(True)),
        sa.column("action", sa.String()),
        sa.column("detail", sa.JSON()),
    )
    events = bind.execute(
        sa.select(log.c.action, log.c.detail)
        .where(log.c.action.in_(MARKS))
        .order_by(log.c.at, log.c.id)
    )
    marked: dict[uuid.UUID, bool] = {}
    for action, raw in events:
        account_id = _uuid(_json(raw).get("account_id", ""))
        if account_id is not None:
            marked[account_id] = MARKS[action]
    accounts = sa.table(
        "accounts",
        sa.column("id", sa.Uuid()),
        sa.column("kind", sa.String()),
        sa.column("must_change_password", sa.Boolean()),
    )
    to_mark = [account_id for account_id, mark in marked.items() if mark]
    for start in range(0, len(to_mark), 500):
        bind.execute(
            accounts.update()
            .where(accounts.c.id.in_(to_mark[start : start + 500]), accounts.c.kind == "staff")
            .values(must_change_password=True)
        )


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _json(value: Any) -> dict[str, Any]:
    """A JSON column read by plain SQL: text on SQLite, parsed on PostgreSQL."""
    found = json.loads(value) if isinstance(value, str) else value
    return found if isinstance(found, dict) else {}


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
