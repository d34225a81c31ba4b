"""What the appeal use cases hand to the edges: frozen views, never table rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from healthcode.domain.clock import day_of
from healthcode.domain.colour import Colour
from healthcode.domain.identity.regions import name_of
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

RECORD, OVERRIDE, CREDIT = "record", "override", "credit"
OPEN, UPHELD, REJECTED = "open", "upheld", "rejected"
# A step while open: the department withdrew the record (its import rolled back)
WITHDRAWN = "withdrawn"
# The step after "submitted": sent to whoever may decide it, or waiting for someone to
# be given that right (nobody may decide it yet; the administrators are told).
ASSIGNED, UNASSIGNED = "assigned", "unassigned"
# The step after "upheld": the appeal's code recoloured, or keeping its colour (the
# department's rollback recoloured it already, or other reasons hold that colour).
RESTORED, UNCHANGED = "restored", "unchanged"


@dataclass(frozen=True)
class EarlierAppeal:
    """A decided appeal of the same thing (record, manual colour, fraud finding) by the
    same resident: shown to them when they appeal it again, and to the officer deciding
    the new appeal. Neither was told of it: the resident not why it stood, the officer
    not that it had been decided once."""

    id: uuid.UUID
    status: str  # upheld | rejected
    reason: str  # the resident's
    submitted_at: datetime
    decided_at: datetime | None
    decision_note: str  # the officer's reason


@dataclass(frozen=True)
class Disputable:
    """Something behind a resident's colour that they may appeal."""

    subject: str  # record | override | credit
    id: uuid.UUID
    kind: str  # the record's kind (close_contact…), "override", or the finding's kind
    source: str  # the record's department, or the organisation (else region) that decided
    start: date | None
    end: date | None
    behind_colour: bool  # one of the reasons for the code's colour now
    open_appeal: uuid.UUID | None
    earlier: tuple[EarlierAppeal, ...] = ()  # its decided appeals, newest first


@dataclass(frozen=True)
class Step:
    at: datetime
    step: str  # submitted | (un)assigned | withdrawn | upheld | rejected | restored | unchanged
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
    # the disputed record no longer counts: withdrawn by the department's rollback
    # while the appeal was open, or by the appeal upheld (an officer's confirmation of
    # a rejection said "the record stands" of one the rollback had withdrawn)
    record_withdrawn: bool = False
    # the decided appeals of the same thing submitted before it, newest first: on one
    # appeal's page (``show_appeal``, ``show_appeal_to_officer``), not in lists
    earlier: tuple[EarlierAppeal, ...] = ()


def disputable_record(row: t.DataRecord, behind: bool, open_appeal: uuid.UUID | None) -> Disputable:
    return Disputable(
        RECORD, row.id, row.kind, row.department, row.start, row.end, behind, open_appeal
    )


def disputable_credit(
    uow: UnitOfWork, row: t.CreditRecord, open_appeal: uuid.UUID | None
) -> Disputable:
    """A confirmed fraud finding: its kind (false declaration…), who confirmed it and
    the day."""
    case = uow.fraud_cases.by_id(row.case_id) if row.case_id else None
    source = decider_name(uow, case.organisation_id, case.region_code) if case else ""
    return Disputable(CREDIT, row.id, row.reason, source, day_of(row.at), None, True, open_appeal)


def decider_name(uow: UnitOfWork, organisation_id: uuid.UUID | None, region_code: str) -> str:
    """The organisation that decided (an override, a fraud case), else its region by
    name (a Binzhou finding showed "371602")."""
    organisation = uow.organisations.by_id(organisation_id) if organisation_id else None
    return organisation.name if organisation is not None else name_of(region_code)


def decider_of(uow: UnitOfWork, row: t.Appeal) -> str:
    """Who decides the appeal, as the ``assigned`` step names it: the department, else
    the organisation (else region) the disputed decision was taken in."""
    return row.department or decider_name(uow, row.organisation_id, row.region_code)


def subject_key(row: t.Appeal) -> str:
    """What it disputes, as ``<subject>:<id>`` (its ``open_key`` while open)."""
    return f"{subject_of(row)}:{row.record_id or row.override_id or row.credit_record_id}"


def decided_before(
    rows: Iterable[t.Appeal], key: str, appeal: t.Appeal | None = None
) -> tuple[EarlierAppeal, ...]:
    """The decided appeals among ``rows`` (a resident's, newest first) of the thing
    ``key`` names; with ``appeal``, those decided by the time it was submitted (one
    appeal of a thing is open at a time: the earlier ones)."""
    return tuple(
        EarlierAppeal(
            row.id, row.status, row.reason, row.submitted_at, row.decided_at, row.decision_note
        )
        for row in rows
        if row.decided_at is not None
        and subject_key(row) == key
        and (appeal is None or (row.id != appeal.id and row.decided_at <= appeal.submitted_at))
    )


def subject_of(row: t.Appeal) -> str:
    if row.record_id is not None:
        return RECORD
    return CREDIT if row.credit_record_id is not None else OVERRIDE


def source_of(uow: UnitOfWork, row: t.Appeal) -> tuple[str, str, date | None, date | None]:
    """The disputed thing, as the resident may see it: kind, source, dates."""
    if row.record_id is not None:
        record = uow.appeals.record(row.record_id)
        assert record is not None
        return record.kind, record.department, record.start, record.end
    source = decider_name(uow, row.organisation_id, row.region_code)
    if row.credit_record_id is not None:
        credit = uow.appeals.credit_record(row.credit_record_id)
        assert credit is not None
        return credit.reason, source, day_of(credit.at), None
    return OVERRIDE, source, None, None


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
        subject=subject_of(row),
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
        record_withdrawn=_withdrawn(uow, row),
    )


def _withdrawn(uow: UnitOfWork, row: t.Appeal) -> bool:
    record = uow.appeals.record(row.record_id) if row.record_id is not None else None
    return record is not None and record.withdrawn_at is not None


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
