"""What the edges show of a fraud case: frozen results, never table rows.

Evidence is shown as the minimum an officer needs to judge: where and when a scan
was read, what the code showed and the flag it raised; a record's kind, department,
region and dates; a declaration's confirmation day and the stays it declared. The
resident is named masked.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from healthcode.domain.fraud import Cause, Outcome, Source, Status
from healthcode.services.accounts.permissions import Principal
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork


@dataclass(frozen=True)
class ScanFlag:
    """A flag a scan raised: what it says (``domain/checkpoint.py`` Flag) and, for a
    sighting elsewhere, where, when and how far."""

    code: str
    venue: str = ""
    at: datetime | None = None
    km: float | None = None


def scan_flag(raw: Mapping[str, Any]) -> ScanFlag:
    """A flag as the scan stored it (JSON): times as ISO text, any key may lack."""
    at = raw.get("at")
    km = raw.get("km")
    return ScanFlag(
        code=str(raw.get("code", "")),
        venue=str(raw.get("venue", "")),
        at=datetime.fromisoformat(at) if isinstance(at, str) else None,
        km=float(km) if isinstance(km, int | float) else None,
    )


@dataclass(frozen=True)
class EvidenceItem:
    kind: str  # scan | record | declaration
    ref_id: uuid.UUID
    at: datetime | None  # when the scan was read, the record received, the declaration confirmed
    venue: str = ""  # scan
    colour: str | None = None  # scan: what the code showed
    verdict: str | None = None  # scan: a refusal reason
    flags: tuple[ScanFlag, ...] = ()  # scan: the flags it raised
    record_kind: str = ""  # record
    department: str = ""  # record
    region: str | None = None  # record
    start: date | None = None  # record
    end: date | None = None  # record
    withdrawn: bool = False  # record: withdrawn since (an appeal, a rollback)
    trips: tuple[tuple[str, str, str], ...] = ()  # declaration: (region, start, end)


@dataclass(frozen=True)
class CaseView:
    id: uuid.UUID
    status: Status
    source: Source
    cause: Cause
    at: datetime
    resident_id: uuid.UUID | None
    name_masked: str
    id_masked: str
    region_code: str
    proposed_outcome: Outcome | None
    proposal_reason: str
    proposed_at: datetime | None
    mine: bool  # the caller proposed it, and may not decide it
    decided_at: datetime | None
    decision_note: str
    credit_kind: str | None  # the credit entry a confirmed case wrote
    evidence: tuple[EvidenceItem, ...] = field(default=())


def case_view(
    uow: UnitOfWork, who: Principal, row: t.FraudCase, *, evidence: bool = False
) -> CaseView:
    resident = uow.residents.by_id(row.resident_id) if row.resident_id else None
    credit = uow.credit_records.of_case(row.id) if row.status == Status.CONFIRMED else None
    return CaseView(
        id=row.id,
        status=Status(row.status),
        source=Source(row.source),
        cause=Cause(row.cause),
        at=row.at,
        resident_id=row.resident_id,
        name_masked=resident.name_masked if resident else "",
        id_masked=resident.id_masked if resident else "",
        region_code=row.region_code,
        proposed_outcome=Outcome(row.proposed_outcome) if row.proposed_outcome else None,
        proposal_reason=row.proposal_reason,
        proposed_at=row.proposed_at,
        mine=row.proposed_by == who.account_id,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        credit_kind=credit.reason if credit is not None else None,
        evidence=tuple(_items(uow, row)) if evidence else (),
    )


def _items(uow: UnitOfWork, row: t.FraudCase) -> list[EvidenceItem]:
    found = []
    for item in uow.fraud_cases.evidence(row.id):
        shown = _item(uow, item)
        if shown is not None:
            found.append(shown)
    return found


def _item(uow: UnitOfWork, item: t.FraudEvidence) -> EvidenceItem | None:
    if item.kind == "scan":
        scan = uow.scans.by_id(item.ref_id)
        if scan is None:
            return None
        venue = uow.venues.by_id(scan.venue_id)
        return EvidenceItem(
            "scan",
            scan.id,
            scan.scanned_at,
            venue=venue.name if venue else "",
            colour=scan.colour,
            verdict=scan.verdict,
            flags=tuple(scan_flag(f) for f in scan.flags if isinstance(f, Mapping)),
        )
    if item.kind == "record":
        record = uow.data_records.by_id(item.ref_id)
        if record is None:
            return None
        return EvidenceItem(
            "record",
            record.id,
            record.received_at,
            record_kind=record.kind,
            department=record.department,
            region=record.region,
            start=record.start,
            end=record.end,
            withdrawn=record.withdrawn_at is not None,
        )
    declaration = uow.declarations.by_id(item.ref_id)
    if declaration is None:
        return None
    return EvidenceItem(
        "declaration",
        declaration.id,
        declaration.confirmed_at,
        trips=tuple(
            (str(x.get("region", "")), str(x.get("start") or ""), str(x.get("end") or ""))
            for x in declaration.trips
            if isinstance(x, dict)
        ),
    )
