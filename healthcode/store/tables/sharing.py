"""Data sharing out: which department clients may look up a resident's colour.

A department client (``department_clients``, its key stored as a SHA-256) sends
records; it may look up colours only once granted here, and a grant can be revoked.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.store.tables.base import Base


class LookupGrant(Base):
    __tablename__ = "lookup_grants"
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("department_clients.id", ondelete="CASCADE"), primary_key=True
    )
    granted_at: Mapped[datetime]
    granted_by: Mapped[str] = mapped_column(String(64), default="")  # who ran the command
    revoked_at: Mapped[datetime | None]
