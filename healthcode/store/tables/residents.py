"""The tables. One module, so the whole schema reads in one sitting."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.store.tables.base import Base, _id, _resident_fk


class Resident(Base):
    __tablename__ = "residents"
    id: Mapped[uuid.UUID] = _id()
    ref: Mapped[str] = mapped_column(String(24), unique=True)  # opaque, carried in codes
    name: Mapped[str] = mapped_column(String(64))
    name_masked: Mapped[str] = mapped_column(String(64))
    id_type: Mapped[str] = mapped_column(String(16), default="resident_id")
    id_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    id_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    id_masked: Mapped[str] = mapped_column(String(32))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date]
    nationality: Mapped[str] = mapped_column(String(3), default="CHN")
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]


class Declaration(Base):
    """A declaration; under a pass policy it is the application."""

    __tablename__ = "declarations"
    id: Mapped[uuid.UUID] = _id()
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    # Set by the second confirmation, which binds the ID number to the account; until
    # then the declared identity waits here, encrypted (identity_cipher).
    resident_id: Mapped[uuid.UUID | None] = mapped_column(  # ix_declarations_resident_policy
        ForeignKey("residents.id", ondelete="CASCADE")
    )
    identity_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    policy_id: Mapped[str] = mapped_column(String(32))
    policy_version: Mapped[str] = mapped_column(String(32))
    submitted_at: Mapped[datetime]  # with the pledge (承诺)
    confirmed_at: Mapped[datetime | None]  # second confirmation (二次确认)
    temperature: Mapped[float | None]
    symptoms: Mapped[list[Any]]
    exposures: Mapped[list[Any]]
    trips: Mapped[list[Any]]
    residence_since: Mapped[date | None]
    destination: Mapped[str | None] = mapped_column(String(6))
    destination_detail: Mapped[str] = mapped_column(String(200), default="")
    purpose: Mapped[str | None] = mapped_column(String(16))
    employer: Mapped[str] = mapped_column(String(100), default="")
    pledge: Mapped[str] = mapped_column(String(32))  # version of the pledge text agreed to
    # Who reviews it (a pass application): the resident's community/village or employer.
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    # When the data check (the rules over the declaration; department records later)
    # ran: an application reaches the issuers' queue, and may be signed, only after it.
    checked_at: Mapped[datetime | None]
    # A counter application (现场办理): who entered it for a person without a phone,
    # having checked the ID card, and when the pledge was signed on paper.
    entered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    paper_pledge_at: Mapped[datetime | None]
    # Made by the account's holder for a dependant (代领): how the dependant is related
    # to them; the second confirmation then links the dependant instead of binding the
    # number to the account (services/residents/dependants.py).
    relationship: Mapped[str | None] = mapped_column(String(16))
    __table_args__ = (Index("ix_declarations_resident_policy", "resident_id", "policy_id"),)


class Dependant(Base):
    """A person whose codes an account holds (代领 / 亲友码): a child, an elderly parent.
    One guardian per dependant (``resident_id`` is unique); the dependant's own account
    may take the number over later, which ends the link."""

    __tablename__ = "dependants"
    id: Mapped[uuid.UUID] = _id()
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    resident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), unique=True
    )
    relationship: Mapped[str] = mapped_column(String(16))
    added_at: Mapped[datetime]


class TemperatureVideo(Base):
    """The optional video of taking one's temperature (seed 000 §二.二.1), one per
    application; the bytes live in the blob store under ``blob_key``."""

    __tablename__ = "temperature_videos"
    id: Mapped[uuid.UUID] = _id()
    declaration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("declarations.id", ondelete="CASCADE"), unique=True
    )
    blob_key: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int]
    duration_ms: Mapped[int]
    uploaded_at: Mapped[datetime] = mapped_column(index=True)


class DailyReport(Base):
    """On PostgreSQL partitioned by month of ``day`` (primary key (``id``, ``day``))."""

    __tablename__ = "daily_reports"
    id: Mapped[uuid.UUID] = _id()
    resident_id: Mapped[uuid.UUID] = _resident_fk(index=False)
    policy_id: Mapped[str] = mapped_column(String(32))  # the code it was submitted for
    reported_at: Mapped[datetime]
    day: Mapped[date]  # Asia/Shanghai
    temperature: Mapped[float | None]
    symptoms: Mapped[list[Any]]
    exposures: Mapped[list[Any]]
    trips: Mapped[list[Any]]
    __table_args__ = (Index("ix_daily_reports_resident_day", "resident_id", "day"),)
