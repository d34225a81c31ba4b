"""Printed paper passes (issuer-issued, revocable by token id) and dependants (代领 /
亲友码): the accounts that hold another person's codes, and the relationship a
declaration made for a dependant states.

Revision ID: 0014_paper
Revises: 0013_lists
Create Date: 2026-11-28 13:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import healthcode.store.types

revision: str = "0014_paper"
down_revision: str | None = "0013_lists"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AT = healthcode.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "paper_passes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_id", sa.LargeBinary(length=16), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("policy_id", sa.String(length=32), nullable=False),
        sa.Column("colour", sa.String(length=8), nullable=False),
        sa.Column("valid_until", _AT, nullable=False),
        sa.Column("issued_by", sa.Uuid(), nullable=False),
        sa.Column("issued_at", _AT, nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", _AT, nullable=True),
        sa.Column("revoked_by", sa.Uuid(), nullable=True),
        sa.Column("revoke_reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["declarations.id"],
            name=op.f("fk_paper_passes_application_id_declarations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_paper_passes_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issued_by"], ["accounts.id"], name=op.f("fk_paper_passes_issued_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"], ["accounts.id"], name=op.f("fk_paper_passes_revoked_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_paper_passes_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_passes")),
        sa.UniqueConstraint("token_id", name=op.f("uq_paper_passes_token_id")),
    )
    with op.batch_alter_table("paper_passes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_paper_passes_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            "ix_paper_passes_resident_policy", ["resident_id", "policy_id"], unique=False
        )

    op.create_table(
        "dependants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("relationship", sa.String(length=16), nullable=False),
        sa.Column("added_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_dependants_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_dependants_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dependants")),
        sa.UniqueConstraint("resident_id", name=op.f("uq_dependants_resident_id")),
    )
    with op.batch_alter_table("dependants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dependants_account_id"), ["account_id"], unique=False)

    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("relationship", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_column("relationship")
    with op.batch_alter_table("dependants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dependants_account_id"))
    op.drop_table("dependants")
    with op.batch_alter_table("paper_passes", schema=None) as batch_op:
        batch_op.drop_index("ix_paper_passes_resident_policy")
        batch_op.drop_index(batch_op.f("ix_paper_passes_application_id"))
    op.drop_table("paper_passes")
