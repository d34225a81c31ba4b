"""Notifications (the in-app notification centre) and the outbox of messages to send.

A notification belongs to a resident (it follows the person, whichever account the
ID number is bound to) or to a staff account. Messages for the outbound channel (SMS,
webhook) are written to ``outbox`` in the same transaction as the change they tell
of, and sent by a job after the commit: a rolled-back change sends nothing, a
committed one is never lost, and each message carries its own id for the receiver
to de-duplicate a retry.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.store.tables.base import Base, _id


class Notification(Base):
    __tablename__ = "notifications"
    id: Mapped[uuid.UUID] = _id()
    # exactly one recipient: a resident (residents' events) or an account (staff)
    resident_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]]
    read_at: Mapped[datetime | None]
    # one notification per key (a reminder per day, a "waiting" batch per interval)
    dedup_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    __table_args__ = (
        CheckConstraint("(resident_id IS NULL) <> (account_id IS NULL)", name="one_recipient"),
    )


class OutboxMessage(Base):
    """One message for the outbound channel; its id is the delivery's id."""

    __tablename__ = "outbox"
    id: Mapped[uuid.UUID] = _id()
    kind: Mapped[str] = mapped_column(String(32))
    # what it tells of: a notification (its current payload is rendered when sent, so
    # a batch says how many are waiting by then) or, for the prevention contact, the
    # organisation
    notification_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    phone_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_masked: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    params: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    due_at: Mapped[datetime]  # the next attempt
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]  # given up after the last attempt
    last_error: Mapped[str] = mapped_column(String(200), default="")
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "failed_at", "due_at"),)
