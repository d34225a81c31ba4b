"""The tables. One module, so the whole schema reads in one sitting."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    LargeBinary,
    String,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.store.tables.base import Base, _id


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
    # the password was set by someone else (an administrator, the console), who knows
    # it: its owner must change it before the account may do anything else
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    resident_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), unique=True
    )
    language: Mapped[str] = mapped_column(String(8), default="zh")
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]
    # why, as the administrator who deactivated it wrote it ("" when its last role went)
    disabled_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # a staff account deactivated by its last role's removal: those roles ([role,
    # scope] pairs), so the administrators where it served still see it and can give
    # them back by reactivating it; NULL otherwise
    former_roles: Mapped[list[Any] | None]


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
