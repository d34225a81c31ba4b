"""Organisations (communities, villages, employers) and the authorisations of the
people who act for them (issuers, organisation administrators).

An authorisation is the workflow and its history (applied → active → suspended /
revoked); while it is active the grant it makes is an ``account_roles`` row scoped
``org:<id>``, so loading who a caller is stays one query. A signature names the
authorisation it was made under, so it stays explainable after a revocation.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.store.tables.base import Base, _id


class Organisation(Base):
    __tablename__ = "organisations"
    id: Mapped[uuid.UUID] = _id()
    kind: Mapped[str] = mapped_column(String(16))  # community | village | employer
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)  # GB 32100
    name: Mapped[str] = mapped_column(String(100))
    responsible_person: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(6), index=True)  # GB/T 2260 county
    address: Mapped[str] = mapped_column(String(200), default="")
    # An employer sits in (and is approved by) a community or village.
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|active|suspended
    # since when it is suspended: its checkpoints' offline scans made before still count
    suspended_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    approved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    approved_at: Mapped[datetime | None]
    # Who is told when one of its residents is found not eligible (red).
    contact_phone_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    contact_phone_masked: Mapped[str | None] = mapped_column(String(16))


class Authorisation(Base):
    __tablename__ = "authorisations"
    id: Mapped[uuid.UUID] = _id()
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    role: Mapped[str] = mapped_column(String(32))  # issuer | org_admin
    unit: Mapped[str] = mapped_column(String(100), default="")  # 所在单位/部门
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[str] = mapped_column(String(64), default="")
    phone_masked: Mapped[str | None] = mapped_column(String(16))
    phone_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The region (GB/T 2260 county) the applicant stated; checked against the organisation.
    region_code: Mapped[str | None] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(16))  # applied|active|suspended|revoked|refused
    applied_at: Mapped[datetime]
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(String(500), default="")
    __table_args__ = (Index("ix_authorisations_org_status", "organisation_id", "status"),)


class Employee(Base):
    """One person on an employer's staff roster (imported from its CSV or XLSX file):
    who may apply for a pass as its staff. Personal numbers as residents keep them."""

    __tablename__ = "employees"
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(64))
    id_hash: Mapped[bytes] = mapped_column(LargeBinary(32), index=True)
    id_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    id_masked: Mapped[str] = mapped_column(String(32))
    phone_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    phone_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_masked: Mapped[str | None] = mapped_column(String(16))
    department: Mapped[str] = mapped_column(String(100), default="")
    import_batch: Mapped[uuid.UUID]  # the import that last added or changed the row
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]
    __table_args__ = (
        UniqueConstraint("organisation_id", "id_hash", name="uq_employees_org_id_hash"),
    )


class ColourOverride(Base):
    """A manual colour, proposed by one officer and approved by another (DESIGN.md §6:
    no single hand can paint a code). Approved, it is a fact the engine honours from
    ``decided_at`` until ``ends_at`` or until the rules' own view changes."""

    __tablename__ = "colour_overrides"
    id: Mapped[uuid.UUID] = _id()
    resident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    policy_id: Mapped[str] = mapped_column(String(32))
    colour: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(500))
    ends_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))  # proposed | approved | rejected
    proposed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    proposed_at: Mapped[datetime]
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(String(500), default="")
    # Where it is decided: the organisation the resident's application went to, if any.
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    # "<resident>:<policy>" while proposed, NULL once decided: one open proposal per code
    open_key: Mapped[str | None] = mapped_column(String(80), unique=True)


class PreventionNotice(Base):
    """A community's prevention contact told that one of its residents is not eligible
    (red); ``sent_at`` is set by the outbound channel once delivered."""

    __tablename__ = "prevention_notices"
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(500))
    sent_at: Mapped[datetime | None]


LIVE_CALL = "status IN ('ringing', 'active')"


class VideoCall(Base):
    """A live video call (视频通话) from an issuer to the applicant of a pass
    application. The media go browser to browser and are never stored: this row keeps
    only who called whom, when the call was offered, answered and ended (by whom, why),
    and the temperature reading the issuer recorded on camera. One live call per
    application: the partial unique index holds while a call rings or runs."""

    __tablename__ = "video_calls"
    id: Mapped[uuid.UUID] = _id()
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("declarations.id", ondelete="CASCADE"), index=True
    )
    resident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    status: Mapped[str] = mapped_column(String(16))  # ringing|active|ended|declined|expired
    offered_at: Mapped[datetime]
    expires_at: Mapped[datetime]  # an unanswered offer lapses then
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    # hang_up | declined | expired | cancelled | disconnected | replaced
    end_reason: Mapped[str | None] = mapped_column(String(16))
    temperature: Mapped[float | None]  # ℃, one decimal, read on camera
    reading_at: Mapped[datetime | None]
    reading_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    __table_args__ = (
        Index(
            "uq_video_calls_live_application",
            "application_id",
            unique=True,
            sqlite_where=text(LIVE_CALL),
            postgresql_where=text(LIVE_CALL),
        ),
    )


CURRENT_CHECKIN = "superseded_at IS NULL"


class CheckinWindows(Base):
    """An employer's own check-in windows ("HH:MM", Asia/Shanghai); without a row the
    defaults hold (``domain/checkins.py:DEFAULT_WINDOWS``)."""

    __tablename__ = "checkin_windows"
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    morning_from: Mapped[str] = mapped_column(String(5))
    morning_until: Mapped[str] = mapped_column(String(5))
    evening_from: Mapped[str] = mapped_column(String(5))
    evening_until: Mapped[str] = mapped_column(String(5))
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    updated_at: Mapped[datetime]


class Checkin(Base):
    """One employee's temperature and symptoms for one window of one day (seed 003
    §三: 每日早晚两次人体测温、健康打卡), reported by the employee or entered by the
    employer's staff. A second one for the same window corrects the first: the first
    is kept with ``superseded_at`` set, and only one per window is current (the
    partial unique index)."""

    __tablename__ = "checkins"
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    employee_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date]  # Asia/Shanghai
    window: Mapped[str] = mapped_column(String(8))  # morning | evening
    temperature: Mapped[float]  # ℃, one decimal
    symptoms: Mapped[bool]
    flagged: Mapped[bool]
    source: Mapped[str] = mapped_column(String(8))  # self | staff
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    at: Mapped[datetime]
    superseded_at: Mapped[datetime | None]
    __table_args__ = (
        Index("ix_checkins_org_day", "organisation_id", "day"),
        Index(
            "uq_checkins_current",
            "employee_id",
            "day",
            "window",
            unique=True,
            sqlite_where=text(CURRENT_CHECKIN),
            postgresql_where=text(CURRENT_CHECKIN),
        ),
    )
