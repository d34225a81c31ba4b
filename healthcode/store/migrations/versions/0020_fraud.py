"""Fraud cases (issue 13 item 6): the gate's cases grow a source, a cause, a scope and
the two-officer workflow; their evidence; a credit entry names its case and officer.

Existing cases (gate reports, all ``open``) get their resident's region (else their
venue's) as scope.

Revision ID: 0020_fraud
Revises: 0020_foreign_scans
Create Date: 2026-11-28 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import healthcode.store.types

revision: str = "0020_fraud"
down_revision: str | None = "0020_foreign_scans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = healthcode.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("fraud_cases", schema=None) as batch_op:
        batch_op.alter_column("scan_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.alter_column("reported_by", existing_type=sa.Uuid(), nullable=True)
        batch_op.add_column(
            sa.Column("source", sa.String(length=16), server_default="gate_report", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "cause", sa.String(length=32), server_default="not_the_holder", nullable=False
            )
        )
        batch_op.add_column(sa.Column("open_key", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("organisation_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("region_code", sa.String(length=6), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("proposed_outcome", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("proposed_by", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("proposed_at", UTC, nullable=True))
        batch_op.add_column(
            sa.Column("proposal_reason", sa.String(length=500), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("decided_by", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("decided_at", UTC, nullable=True))
        batch_op.add_column(
            sa.Column("decision_note", sa.String(length=500), server_default="", nullable=False)
        )
        batch_op.create_unique_constraint(batch_op.f("uq_fraud_cases_open_key"), ["open_key"])
        batch_op.create_foreign_key(
            batch_op.f("fk_fraud_cases_organisation_id_organisations"),
            "organisations",
            ["organisation_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_fraud_cases_proposed_by_accounts"), "accounts", ["proposed_by"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_fraud_cases_decided_by_accounts"), "accounts", ["decided_by"], ["id"]
        )
        batch_op.create_index(
            batch_op.f("ix_fraud_cases_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fraud_cases_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_fraud_cases_status"), ["status"], unique=False)
    op.execute(
        "UPDATE fraud_cases SET region_code = (SELECT r.region_code FROM residents r "
        "WHERE r.id = fraud_cases.resident_id) WHERE resident_id IS NOT NULL"
    )
    op.execute(
        "UPDATE fraud_cases SET region_code = (SELECT v.region_code FROM scans s "
        "JOIN venues v ON v.id = s.venue_id WHERE s.id = fraud_cases.scan_id) "
        "WHERE resident_id IS NULL AND scan_id IS NOT NULL"
    )
    op.create_table(
        "fraud_evidence",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Uuid(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("detail", healthcode.store.types.JSONType, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["fraud_cases.id"],
            name=op.f("fk_fraud_evidence_case_id_fraud_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_evidence")),
        sa.UniqueConstraint("case_id", "kind", "ref_id", name=op.f("uq_fraud_evidence_case_id")),
    )
    with op.batch_alter_table("fraud_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fraud_evidence_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fraud_evidence_ref_id"), ["ref_id"], unique=False)
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("case_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("recorded_by", sa.Uuid(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_credit_records_case_id"), ["case_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_credit_records_case_id_fraud_cases"),
            "fraud_cases",
            ["case_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_credit_records_recorded_by_accounts"),
            "accounts",
            ["recorded_by"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_credit_records_recorded_by_accounts"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_credit_records_case_id_fraud_cases"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_credit_records_case_id"), type_="unique")
        batch_op.drop_column("recorded_by")
        batch_op.drop_column("case_id")
    with op.batch_alter_table("fraud_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fraud_evidence_ref_id"))
        batch_op.drop_index(batch_op.f("ix_fraud_evidence_case_id"))
    op.drop_table("fraud_evidence")
    op.execute("DELETE FROM fraud_cases WHERE scan_id IS NULL OR reported_by IS NULL")
    with op.batch_alter_table("fraud_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fraud_cases_status"))
        batch_op.drop_index(batch_op.f("ix_fraud_cases_region_code"))
        batch_op.drop_index(batch_op.f("ix_fraud_cases_organisation_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_fraud_cases_decided_by_accounts"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_fraud_cases_proposed_by_accounts"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_fraud_cases_organisation_id_organisations"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_fraud_cases_open_key"), type_="unique")
        for column in (
            "decision_note",
            "decided_at",
            "decided_by",
            "proposal_reason",
            "proposed_at",
            "proposed_by",
            "proposed_outcome",
            "region_code",
            "organisation_id",
            "open_key",
            "cause",
            "source",
        ):
            batch_op.drop_column(column)
        batch_op.alter_column("reported_by", existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column("scan_id", existing_type=sa.Uuid(), nullable=False)
