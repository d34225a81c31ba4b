"""The tables. One module, so the whole schema reads in one sitting."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.store.tables.base import Base, _id, _resident_fk


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
