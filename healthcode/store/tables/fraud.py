"""Fraud cases (seed 003 §四.一) and the evidence behind each.

A case comes from a gate report ("not the holder", one per scan: ``scan_id`` is
unique), a scan's duplicate-token or distance flag, or a contradiction between a
declaration and a department's travel record. ``open_key`` is
``<resident>:<cause>`` while a flag's or a contradiction's case is undecided and NULL
once it is decided: a unique column, so one resident has at most one undecided case
per cause on either database, and further flags add evidence to it.

Workflow: ``open`` → ``proposed`` (officer A: ``proposed_outcome`` confirm or dismiss,
with a reason) → ``confirmed`` / ``dismissed`` by officer B ≠ A (or back to ``open``
when B rejects the proposal). Scope is fixed when the case opens: the resident's
organisation (where their latest application went), else their region.

The credit entry a confirmed case writes is a ``credit_records`` row naming the case
(``tables/records.py``): the fact the colour engine reads.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.store.tables.base import Base, _id


class FraudCase(Base):
    __tablename__ = "fraud_cases"
    id: Mapped[uuid.UUID] = _id()
    # the gate report's scan (one case per scan); None for flags and contradictions
    scan_id: Mapped[uuid.UUID | None]  # no foreign key: scans is partitioned (retention)
    resident_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    reported_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))  # None: found
    at: Mapped[datetime]
    # open | proposed | confirmed | dismissed
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    # gate_report | duplicate_token | contradiction (domain/fraud.py Source)
    source: Mapped[str] = mapped_column(String(16), server_default="gate_report")
    # not_the_holder | same_token_elsewhere | distant_venues | undeclared_travel
    cause: Mapped[str] = mapped_column(String(32), server_default="not_the_holder")
    open_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    region_code: Mapped[str] = mapped_column(String(6), server_default="", index=True)
    proposed_outcome: Mapped[str | None] = mapped_column(String(16))  # confirm | dismiss
    proposed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    proposed_at: Mapped[datetime | None]
    proposal_reason: Mapped[str] = mapped_column(String(500), server_default="")
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(String(500), server_default="")
    __table_args__ = (UniqueConstraint("scan_id", name="uq_fraud_cases_scan_id"),)


class FraudEvidence(Base):
    """One item behind a case: a scan, a department record or a declaration (by id;
    the item stays in its own table), with what made it evidence (a scan's flag)."""

    __tablename__ = "fraud_evidence"
    __table_args__ = (UniqueConstraint("case_id", "kind", "ref_id"),)
    id: Mapped[uuid.UUID] = _id()
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("fraud_cases.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # scan | record | declaration
    ref_id: Mapped[uuid.UUID] = mapped_column(index=True)
    at: Mapped[datetime]  # when it was added to the case
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
