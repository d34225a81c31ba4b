"""What the appeal use cases hand to the edges: frozen views, never table rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from healthcode.domain.colour import Colour
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

RECORD, OVERRIDE = "record", "override"
OPEN, UPHELD, REJECTED = "open", "upheld", "rejected"


@dataclass(frozen=True)
class Disputable:
    """Something behind a resident's colour that they may appeal."""

    subject: str  # record | override
    id: uuid.UUID
    kind: str  # the record's kind (close_contact…), or "override"
    source: str  # the record's department, or the override's organisation name
    start: date | None
    end: date | None
    behind_colour: bool  # one of the reasons for the code's colour now
    open_appeal: uuid.UUID | None


@dataclass(frozen=True)
class Step:
    at: datetime
    step: str  # submitted | assigned | upheld | rejected | restored
    colour: Colour | None
    note: str


@dataclass(frozen=True)
class AppealView:
    id: uuid.UUID
    policy_id: str
    subject: str
    kind: str
    source: str
    start: date | None
    end: date | None
    reason: str
    evidence_type: str | None
    status: str
    colour_before: Colour
    submitted_at: datetime
    decision_note: str
    steps: tuple[Step, ...]
    name_masked: str  # for the officers; the resident knows their own name
    id_masked: str


def disputable_record(row: t.DataRecord, behind: bool, open_appeal: uuid.UUID | None) -> Disputable:
    return Disputable(
        RECORD, row.id, row.kind, row.department, row.start, row.end, behind, open_appeal
    )


def source_of(uow: UnitOfWork, row: t.Appeal) -> tuple[str, str, date | None, date | None]:
    """The disputed thing, as the resident may see it: kind, source, dates."""
    if row.record_id is not None:
        record = uow.appeals.record(row.record_id)
        assert record is not None
        return record.kind, record.department, record.start, record.end
    organisation = uow.organisations.by_id(row.organisation_id) if row.organisation_id else None
    return OVERRIDE, organisation.name if organisation is not None else row.region_code, None, None


def appeal_view(uow: UnitOfWork, env: Env, row: t.Appeal) -> AppealView:
    resident = uow.residents.by_id(row.resident_id)
    assert resident is not None
    kind, source, start, end = source_of(uow, row)
    steps = tuple(
        Step(s.at, s.step, Colour(s.colour) if s.colour else None, s.note)
        for s in uow.appeals.steps(row.id)
    )
    return AppealView(
        id=row.id,
        policy_id=row.policy_id,
        subject=RECORD if row.record_id is not None else OVERRIDE,
        kind=kind,
        source=source,
        start=start,
        end=end,
        reason=row.reason,
        evidence_type=row.evidence_type,
        status=row.status,
        colour_before=Colour(row.colour_before),
        submitted_at=row.submitted_at,
        decision_note=row.decision_note,
        steps=steps,
        name_masked=resident.name_masked,
        id_masked=resident.id_masked,
    )


@dataclass(frozen=True)
class EvidenceFile:
    """An appeal's evidence to send: its type, length and bytes."""

    content_type: str
    size: int
    key: str


def evidence_file(row: t.Appeal) -> EvidenceFile | None:
    if row.evidence_key is None or row.evidence_type is None:
        return None
    return EvidenceFile(row.evidence_type, row.evidence_size or 0, row.evidence_key)
