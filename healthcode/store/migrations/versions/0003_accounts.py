"""Accounts: ID bound on confirmation, key check value, staff login delays, SMS budget.

* declarations carry their account and, until the second confirmation binds it, the
  declared identity (encrypted); resident_id is set only on confirmation.
* key_checks: a keyed hash proving which secret key the database was written with.
* login_failures: consecutive wrong passwords per username and address.
* otp_challenges: indexed by time (the global SMS budget) and by phone and client.

Revision ID: 0003_accounts
Revises: 0002_races
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import healthcode.store.types

revision: str = "0003_accounts"
down_revision: str | None = "0002_races"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = healthcode.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "key_checks",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_key_checks")),
    )
    op.create_table(
        "login_failures",
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("username", "client", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("otp_challenges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_otp_challenges_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index("ix_otp_challenges_phone_client", ["phone_hash", "client"])
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("identity_cipher", sa.LargeBinary(), nullable=True))
        batch_op.alter_column("resident_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_declarations_account_id_accounts"),
            "accounts",
            ["account_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(batch_op.f("ix_declarations_account_id"), ["account_id"])
    op.execute(
        "UPDATE declarations SET account_id = (SELECT accounts.id FROM accounts"
        " WHERE accounts.resident_id = declarations.resident_id)"
    )


def downgrade() -> None:
    op.execute("DELETE FROM declarations WHERE resident_id IS NULL")
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declarations_account_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_declarations_account_id_accounts"), type_="foreignkey"
        )
        batch_op.alter_column("resident_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("identity_cipher")
        batch_op.drop_column("account_id")
    with op.batch_alter_table("otp_challenges", schema=None) as batch_op:
        batch_op.drop_index("ix_otp_challenges_phone_client")
        batch_op.drop_index(batch_op.f("ix_otp_challenges_created_at"))
    op.drop_table("login_failures")
    op.drop_table("key_checks")
