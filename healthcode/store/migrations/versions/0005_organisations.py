"""Organisations, the authorisations of the people who act for them; who reviews a pass
application and which grant a signature was made under.

Revision ID: 0005_organisations
Revises: 0004_faults
Create Date: 2026-11-28 09:53:27.947646
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import healthcode.store.types

revision: str = "0005_organisations"
down_revision: str | None = "0004_faults"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("responsible_person", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("approved_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("contact_phone_cipher", sa.LargeBinary(), nullable=True),
        sa.Column("contact_phone_masked", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["accounts.id"], name=op.f("fk_organisations_approved_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["organisations.id"],
            name=op.f("fk_organisations_parent_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_organisations_credit_code")),
    )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisations_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_organisations_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "authorisations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.String(length=64), nullable=False),
        sa.Column("phone_masked", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("applied_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_authorisations_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["accounts.id"], name=op.f("fk_authorisations_decided_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_authorisations_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorisations")),
    )
    with op.batch_alter_table("authorisations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_authorisations_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            "ix_authorisations_org_status", ["organisation_id", "status"], unique=False
        )

    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_declarations_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_declarations_organisation_id_organisations"),
            "organisations",
            ["organisation_id"],
            ["id"],
        )

    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("authorisation_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_signatures_authorisation_id_authorisations"),
            "authorisations",
            ["authorisation_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_signatures_authorisation_id_authorisations"), type_="foreignkey"
        )
        batch_op.drop_column("authorisation_id")

    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_declarations_organisation_id_organisations"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_declarations_organisation_id"))
        batch_op.drop_column("organisation_id")

    with op.batch_alter_table("authorisations", schema=None) as batch_op:
        batch_op.drop_index("ix_authorisations_org_status")
        batch_op.drop_index(batch_op.f("ix_authorisations_account_id"))

    op.drop_table("authorisations")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisations_region_code"))
        batch_op.drop_index(batch_op.f("ix_organisations_parent_id"))

    op.drop_table("organisations")
