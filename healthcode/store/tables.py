"""The tables. One module, so the whole schema reads in one sitting.

Personal numbers never appear in plain text: ID numbers and phone numbers are kept
as a keyed hash (for matching) plus an AES-GCM ciphertext and a masked form.
Times are UTC instants; days are Asia/Shanghai dates.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from healthcode.store.types import JSONType, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy's declared mapping
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
        JSON: JSONType,
    }


def _id() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, default=uuid.uuid4)


def _resident_fk(*, index: bool = True) -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), index=index)


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


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[uuid.UUID] = _id()
    kind: Mapped[str] = mapped_column(String(16))  # resident | staff
    phone_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    phone_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_masked: Mapped[str | None] = mapped_column(String(16))
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    resident_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), unique=True
    )
    language: Mapped[str] = mapped_column(String(8), default="zh")
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]


class AccountRole(Base):
    __tablename__ = "account_roles"
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(64), primary_key=True, default="")


class AuthSession(Base):
    __tablename__ = "sessions"
    id: Mapped[uuid.UUID] = _id()
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    client: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")


class OtpChallenge(Base):
    __tablename__ = "otp_challenges"
    id: Mapped[uuid.UUID] = _id()
    phone_hash: Mapped[bytes] = mapped_column(LargeBinary(32), index=True)
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(index=True)  # the global SMS budget
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    consumed_at: Mapped[datetime | None]
    client: Mapped[str] = mapped_column(String(64), default="")
    __table_args__ = (Index("ix_otp_challenges_phone_client", "phone_hash", "client"),)


class LoginFailure(Base):
    """Consecutive wrong passwords for one username from one address: the delay grows
    with them, and another address is not slowed (no one can lock a user out)."""

    __tablename__ = "login_failures"
    username: Mapped[str] = mapped_column(String(128), primary_key=True)
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int]
    last_at: Mapped[datetime]


class KeyCheck(Base):
    """A keyed hash made with the secret key the database was first written with."""

    __tablename__ = "key_checks"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary(32))
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
    resident_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
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
    __table_args__ = (Index("ix_declarations_resident_policy", "resident_id", "policy_id"),)


class DailyReport(Base):
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


class Code(Base):
    """The cached current state of one resident's code under one policy."""

    __tablename__ = "codes"
    id: Mapped[uuid.UUID] = _id()
    resident_id: Mapped[uuid.UUID] = _resident_fk(index=False)
    policy_id: Mapped[str] = mapped_column(String(32))
    policy_version: Mapped[str] = mapped_column(String(32))
    colour: Mapped[str] = mapped_column(String(8), index=True)
    state: Mapped[dict[str, Any]]
    evaluated_at: Mapped[datetime]
    recheck_at: Mapped[datetime | None] = mapped_column(index=True)
    valid_until: Mapped[datetime | None]
    application_id: Mapped[uuid.UUID | None]
    awaiting_id: Mapped[uuid.UUID | None] = mapped_column(index=True)  # the issuer queue
    history_seq: Mapped[int] = mapped_column(default=0, server_default="0")  # the last change's seq
    __table_args__ = (UniqueConstraint("resident_id", "policy_id"),)


class ColourChange(Base):
    __tablename__ = "colour_changes"
    id: Mapped[uuid.UUID] = _id()
    code_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("codes.id", ondelete="CASCADE"))
    seq: Mapped[int]  # 1, 2, … per code in commit order; unique, so no change is recorded twice
    at: Mapped[datetime]
    from_colour: Mapped[str | None] = mapped_column(String(8))
    to_colour: Mapped[str] = mapped_column(String(8))
    rule_ids: Mapped[list[Any]]
    policy_version: Mapped[str] = mapped_column(String(32))
    cause: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[uuid.UUID | None]
    __table_args__ = (
        Index("ix_colour_changes_code_at", "code_id", "at"),
        UniqueConstraint("code_id", "seq", name="uq_colour_changes_code_seq"),
    )


class Signature(Base):
    __tablename__ = "signatures"
    id: Mapped[uuid.UUID] = _id()
    declaration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("declarations.id", ondelete="CASCADE"), index=True
    )
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    colour: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(String(500), default="")
    signed_at: Mapped[datetime]


class DataRecord(Base):
    __tablename__ = "data_records"
    id: Mapped[uuid.UUID] = _id()
    resident_id: Mapped[uuid.UUID] = _resident_fk()
    kind: Mapped[str] = mapped_column(String(16))
    start: Mapped[date | None]
    end: Mapped[date | None]
    region: Mapped[str | None] = mapped_column(String(6))
    source: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]


class CreditRecord(Base):
    __tablename__ = "credit_records"
    id: Mapped[uuid.UUID] = _id()
    resident_id: Mapped[uuid.UUID] = _resident_fk()
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(500), default="")
    revoked_at: Mapped[datetime | None]


class SigningKey(Base):
    __tablename__ = "signing_keys"
    kid: Mapped[bytes] = mapped_column(LargeBinary(8), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    private_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]


class Revocation(Base):
    __tablename__ = "revocations"
    token_id: Mapped[bytes] = mapped_column(LargeBinary(16), primary_key=True)
    revoked_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(64))
    resident_id: Mapped[uuid.UUID | None]


class Notification(Base):
    __tablename__ = "notifications"
    id: Mapped[uuid.UUID] = _id()
    resident_id: Mapped[uuid.UUID] = _resident_fk()
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]]
    read_at: Mapped[datetime | None]


class AuditEvent(Base):
    __tablename__ = "audit_log"
    id: Mapped[uuid.UUID] = _id()
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(String(64))
    resident_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    detail: Mapped[dict[str, Any]]
    client: Mapped[str] = mapped_column(String(64), default="")


class Lease(Base):
    """A named lock with an expiry, so one worker of many runs a scheduled job."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]


class JobRun(Base):
    __tablename__ = "job_runs"
    id: Mapped[uuid.UUID] = _id()
    job: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]  # the logical time it ran for
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    checked: Mapped[int] = mapped_column(default=0)
    changed: Mapped[int] = mapped_column(default=0)


class IdempotencyKey(Base):
    """A write's ``Idempotency-Key``, claimed in the write's own transaction, and the
    reply it got, so a retry is answered with that reply instead of a second write.
    ``status`` is None until the reply is stored."""

    __tablename__ = "idempotency_keys"
    # SHA-256 of principal, method, path and key: one row per key of one caller.
    fingerprint: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    body_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[int | None]
    headers: Mapped[list[Any] | None]
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
