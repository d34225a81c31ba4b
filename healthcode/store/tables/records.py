"""Department records (数据共享): the records about residents, high-risk regions, the
import batches that brought them and the department clients that send them.

A record is unique on (department, source_id), so a re-import changes nothing; a
withdrawn record (``withdrawn_at``: an upheld appeal, a rolled-back batch) stays for
the history but no longer counts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.store.tables.base import Base, _id, _resident_fk


def _batch_fk() -> Mapped[uuid.UUID | None]:
    return mapped_column(ForeignKey("import_batches.id", ondelete="RESTRICT"), index=True)


class DataRecord(Base):
    __tablename__ = "data_records"
    __table_args__ = (
        UniqueConstraint("department", "source_id"),
        Index("ix_data_records_kind_region", "kind", "region"),
    )
    id: Mapped[uuid.UUID] = _id()
    resident_id: Mapped[uuid.UUID] = _resident_fk()
    kind: Mapped[str] = mapped_column(String(16))  # domain.facts.RecordKind
    start: Mapped[date | None]
    end: Mapped[date | None]
    region: Mapped[str | None] = mapped_column(String(6))
    source: Mapped[str] = mapped_column(String(64))  # the dataset's name, as shown
    received_at: Mapped[datetime]
    department: Mapped[str] = mapped_column(String(24), server_default="health")
    source_id: Mapped[str | None] = mapped_column(String(64))  # the department's own id
    batch_id: Mapped[uuid.UUID | None] = _batch_fk()
    setting: Mapped[str | None] = mapped_column(String(16))  # quarantine: home|company|...
    detail: Mapped[str] = mapped_column(String(200), default="", server_default="")
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(String(500))


class KnownRecord(NamedTuple):
    """A record sent before, as an import compares it (no ORM object per row; only the
    rows that would change one load and lock it)."""

    id: uuid.UUID
    resident_id: uuid.UUID
    kind: str
    start: date | None
    end: date | None
    setting: str | None
    region: str | None
    detail: str
    received_at: datetime
    withdrawn_at: datetime | None
    withdrawn_reason: str | None
    batch_id: uuid.UUID | None  # the import that wrote it


@dataclass(frozen=True)
class Matches:
    """What an import's chunk finds (``DataRecords.matching``): the residents by ID
    hash, and the department's records sent before by record number."""

    residents: dict[bytes, uuid.UUID]
    known: dict[str, KnownRecord]


class HighRiskRegion(Base):
    """A region high-risk from `start` to `end` (None = still): not about a resident."""

    __tablename__ = "high_risk_regions"
    __table_args__ = (UniqueConstraint("department", "source_id"),)
    id: Mapped[uuid.UUID] = _id()
    region: Mapped[str] = mapped_column(String(6), index=True)  # 2-, 4- or 6-digit prefix
    start: Mapped[date]
    end: Mapped[date | None]
    department: Mapped[str] = mapped_column(String(24))
    source_id: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64), default="")
    batch_id: Mapped[uuid.UUID | None] = _batch_fk()
    received_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(String(500))


class Amendment(Base):
    """One import's change to a record or listing sent before (a release date sent
    later, the day a listing was lifted): its values before and after. Every
    amendment is kept, in order (``id``), so imports rolled back in any order leave
    what the imports still in force said (``services/records/batches.py``)."""

    __tablename__ = "amendments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("import_batches.id", ondelete="RESTRICT"), index=True
    )
    record_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("data_records.id", ondelete="CASCADE"), index=True
    )
    listing_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("high_risk_regions.id", ondelete="CASCADE"), index=True
    )
    before: Mapped[dict[str, Any]]  # the columns it changed, as JSON values
    after: Mapped[dict[str, Any]]


Chain = list[tuple[Amendment, str]]  # a row's amendments, oldest first, with their batches' status


class ImportBatch(Base):
    """One import: who sent it (a staff account or a department client), what, and
    what became of each row. Written in the import's own transaction: all or none."""

    __tablename__ = "import_batches"
    id: Mapped[uuid.UUID] = _id()
    department: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(16))  # domain.records.ImportKind
    file_name: Mapped[str] = mapped_column(String(255), default="")
    region: Mapped[str | None] = mapped_column(String(6), index=True)  # the sender's scope
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    client_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("department_clients.id", ondelete="SET NULL")
    )
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="committed")
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_added: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)  # already imported
    rows_amended: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rows_refused: Mapped[int] = mapped_column(Integer, default=0)
    rows_unmatched: Mapped[int] = mapped_column(Integer, default=0)  # no such resident
    residents_touched: Mapped[int] = mapped_column(Integer, default=0)
    # Set when the batch or its rollback commits, cleared once its residents are
    # recoloured: a crash in between leaves it set for the resuming job to find.
    recolour_due_at: Mapped[datetime | None] = mapped_column(index=True)
    rolled_back_at: Mapped[datetime | None]
    rolled_back_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )


class ImportRefusal(Base):
    """A refused or unmatched row of a batch: line, field, reason code (the words
    come from the code, in the reader's language)."""

    __tablename__ = "import_refusals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), index=True
    )
    line: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(48))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)


ACTIVE_CLIENT = "revoked_at IS NULL"


class DepartmentClient(Base):
    """A department's system sending records through the API, with its own key
    (stored as a SHA-256 only) and the kinds it may send. Its name is unique among
    the active clients: a retired system's name may be given to its successor."""

    __tablename__ = "department_clients"
    __table_args__ = (
        Index(
            "uq_department_clients_active_name",
            "name",
            unique=True,
            sqlite_where=text(ACTIVE_CLIENT),
            postgresql_where=text(ACTIVE_CLIENT),
        ),
    )
    id: Mapped[uuid.UUID] = _id()
    name: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(24))
    kinds: Mapped[list[Any]] = mapped_column(default=list)
    region: Mapped[str | None] = mapped_column(String(6))
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None]


class CreditRecord(Base):
    """A credit entry (诚信记录): a confirmed fraud finding, the fact the colour engine
    reads (``BZ-RED-FRAUD``, ``SD-FRAUD``). ``reason`` is its kind
    (``false_declaration``, ``screenshot``, ``another_persons_code``); ``case_id`` the
    fraud case that confirmed it and ``recorded_by`` the officer who approved it."""

    __tablename__ = "credit_records"
    id: Mapped[uuid.UUID] = _id()
    resident_id: Mapped[uuid.UUID] = _resident_fk()
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(500), default="")
    revoked_at: Mapped[datetime | None]
    case_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("fraud_cases.id", ondelete="SET NULL"), unique=True
    )
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
