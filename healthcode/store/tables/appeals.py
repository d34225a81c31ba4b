"""Appeals (申诉): a resident disputes a department record, a manual colour or a
credit record (a confirmed fraud finding).

One row per appeal, and its timeline (``appeal_steps``: submitted, assigned, decided,
colour restored) as rows the resident reads. ``open_key`` is the disputed thing
(``record:<id>``, ``override:<id>`` or ``credit:<id>``) while the appeal is open and
NULL once decided: a unique column, so one record has at most one open appeal on
either database.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.store.tables.base import Base, _id, _resident_fk


class Appeal(Base):
    __tablename__ = "appeals"
    id: Mapped[uuid.UUID] = _id()
    resident_id: Mapped[uuid.UUID] = _resident_fk()
    policy_id: Mapped[str] = mapped_column(String(32))  # the code whose colour is disputed
    record_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("data_records.id", ondelete="CASCADE"), index=True
    )
    override_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("colour_overrides.id", ondelete="CASCADE"), index=True
    )
    credit_record_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("credit_records.id", ondelete="CASCADE"), index=True
    )
    # Who decides: a department (the record's source), or the organisation (else the
    # region) the override was decided in or the fraud case was opened for.
    department: Mapped[str] = mapped_column(String(64), default="", index=True)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    reason: Mapped[str] = mapped_column(String(1000))
    evidence_key: Mapped[str | None] = mapped_column(String(128))
    evidence_type: Mapped[str | None] = mapped_column(String(64))
    evidence_size: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16), index=True)  # open | upheld | rejected
    open_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    colour_before: Mapped[str] = mapped_column(String(8))
    submitted_at: Mapped[datetime]
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(String(1000), default="")


class AppealStep(Base):
    __tablename__ = "appeal_steps"
    __table_args__ = (UniqueConstraint("appeal_id", "seq"),)
    id: Mapped[uuid.UUID] = _id()
    appeal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("appeals.id", ondelete="CASCADE"), index=True
    )
    resident_id: Mapped[uuid.UUID] = _resident_fk(index=False)  # the appeal's: the shard key
    seq: Mapped[int]  # 1, 2, … per appeal: the order the resident reads them in
    at: Mapped[datetime]
    step: Mapped[str] = mapped_column(
        String(16)
    )  # submitted | assigned | upheld | rejected | restored
    colour: Mapped[str | None] = mapped_column(String(8))  # the colour after a restoration
    note: Mapped[str] = mapped_column(String(1000), default="")
