"""A staff account says why it was deactivated (``disabled_reason``) and, when the
removal of its last role deactivated it, which roles those were (``former_roles``):
with no role left, nothing tied it to its organisation, and only a deployment
administrator still saw it to reactivate it.

Accounts deactivated before this revision take both from the audit log, so those
already hidden come back into their administrators' lists.

Revision ID: 0029_staff_deactivation
Revises: 0028_amendments
Create Date: 2026-11-30 13:00:00.000000
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0029_staff_deactivation"
down_revision: str | None = "0028_amendments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_LAST_ROLE = "last role taken away"  # the reason the automatic deactivation was logged with


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("disabled_reason", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("former_roles", _JSON, nullable=True))
    _from_the_audit_log()


def _from_the_audit_log() -> None:
    """Each deactivated staff account: the reason its last deactivation was logged
    with (none for the automatic one, which the roles tell); and one holding no role
    the roles the last change of its roles took away."""
    bind = op.get_bind()
    disabled = _ids(
        bind.execute(
            sa.text("SELECT id FROM accounts WHERE kind = 'staff' AND disabled_at IS NOT NULL")
        )
    )
    if not disabled:
        return
    holding = set(_ids(bind.execute(sa.text("SELECT account_id FROM account_roles"))))
    reasons: dict[uuid.UUID, str] = {}
    removed: dict[uuid.UUID, list[Any]] = {}
    events = bind.execute(
        sa.text(
            "SELECT action, detail FROM audit_log WHERE action IN "
            "('staff.account.deactivate', 'staff.account.roles') ORDER BY at, id"
        )
    )
    for action, raw in events:
        detail = _json(raw)
        account_id = _uuid(detail.get("account_id", ""))
        if account_id is None:
            continue
        if action == "staff.account.deactivate":
            reasons[account_id] = str(detail.get("reason", ""))
        elif detail.get("removed"):
            removed[account_id] = list(detail["removed"])
    accounts = sa.table(
        "accounts",
        sa.column("id", sa.Uuid()),
        sa.column("disabled_reason", sa.String()),
        sa.column("former_roles", _JSON),
    )
    for account_id in disabled:
        reason = reasons.get(account_id, "")
        values: dict[str, Any] = {"disabled_reason": "" if reason == _LAST_ROLE else reason[:200]}
        if account_id not in holding and account_id in removed:
            values["former_roles"] = removed[account_id]
        bind.execute(accounts.update().where(accounts.c.id == account_id).values(**values))


def _ids(rows: Any) -> list[uuid.UUID]:
    return [found for row in rows if (found := _uuid(row[0])) is not None]


def _uuid(value: Any) -> uuid.UUID | None:
    """An id as read by plain SQL (a UUID on PostgreSQL, its hex text on SQLite) or
    written in an audit entry; None if it is none."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _json(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value)


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("former_roles")
        batch_op.drop_column("disabled_reason")
