"""The review queue: the data-check marker, counter applications, what a yellow
signature asks for, two-officer colour overrides, notices to prevention contacts.

Revision ID: 0007_review
Revises: 0006_orgs
Create Date: 2026-11-28 10:13:08.360656
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import healthcode.store.types

revision: str = "0007_review"
down_revision: str | None = "0006_orgs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "colour_overrides",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("policy_id", sa.String(length=32), nullable=False),
        sa.Column("colour", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("ends_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.Uuid(), nullable=False),
        sa.Column("proposed_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["accounts.id"], name=op.f("fk_colour_overrides_decided_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_colour_overrides_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by"], ["accounts.id"], name=op.f("fk_colour_overrides_proposed_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_colour_overrides_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_colour_overrides")),
    )
    with op.batch_alter_table("colour_overrides", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_colour_overrides_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_colour_overrides_resident_id"), ["resident_id"], unique=False
        )

    op.create_table(
        "prevention_notices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("at", healthcode.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("sent_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_prevention_notices_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_prevention_notices_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prevention_notices")),
    )
    with op.batch_alter_table("prevention_notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prevention_notices_organisation_id"), ["organisation_id"], unique=False
        )

    with op.batch_alter_table("codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suggested", sa.String(length=8), nullable=True))

    with op.batch_alter_table("colour_changes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("note", sa.String(length=500), server_default="", nullable=False)
        )

    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "checked_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("entered_by", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "paper_pledge_at", healthcode.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_declarations_entered_by_accounts"), "accounts", ["entered_by"], ["id"]
        )
    # Applications confirmed before this marker existed were checked when confirmed.
    op.execute("UPDATE declarations SET checked_at = confirmed_at WHERE confirmed_at IS NOT NULL")

    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "requested", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_column("requested")

    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_declarations_entered_by_accounts"), type_="foreignkey"
        )
        batch_op.drop_column("paper_pledge_at")
        batch_op.drop_column("entered_by")
        batch_op.drop_column("checked_at")

    with op.batch_alter_table("colour_changes", schema=None) as batch_op:
        batch_op.drop_column("note")

    with op.batch_alter_table("codes", schema=None) as batch_op:
        batch_op.drop_column("suggested")

    with op.batch_alter_table("prevention_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prevention_notices_organisation_id"))

    op.drop_table("prevention_notices")
    with op.batch_alter_table("colour_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_colour_overrides_resident_id"))
        batch_op.drop_index(batch_op.f("ix_colour_overrides_region_code"))

    op.drop_table("colour_overrides")
