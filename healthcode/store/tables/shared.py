"""The tables. One module, so the whole schema reads in one sitting."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.store.tables.base import Base, _id


class KeyCheck(Base):
    """A keyed hash made with the secret key the database was first written with."""

    __tablename__ = "key_checks"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime]


class PolicyVersion(Base):
    """What a policy version meant when it was first put in force: the canonical text
    of what states depend on and its SHA-256 (``domain/policy_content.py``). A process
    whose file says another text under the same version refuses to start."""

    __tablename__ = "policy_versions"
    policy_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[datetime]


class CacheGeneration(Base):
    """Moved on by a process that writes colours outside the servers (the command
    line), whose own cache no server reads: each server process looks every second and
    forgets its cached colours when it moved (``services/codes/colour_cache.py``)."""

    __tablename__ = "cache_generations"
    space: Mapped[str] = mapped_column(String(32), primary_key=True)
    generation: Mapped[int]


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
