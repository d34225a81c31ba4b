"""Tracing from scans (issue 13 item 5): who was at the same venue as a confirmed case.

It lives in the ``records`` context, not ``scanning``: it starts from a department
record (the case's ``confirmed`` record), is done by the health department's data
operators (``RECORDS_IMPORT``, scoped by region or as the department) and ends in
department records written through the same import path (``import_records``), so the
contacts it makes are audited, listed among the batches and reversible by the batch
rollback like any other import. Scanning is only read (``uow.scans``).

Decisions (docs/tracing.md):
* The case's scans are read from ``since`` (default: 14 days before the confirmed
  record's start) until now; for each, everyone scanned at the same venue within
  ``window`` minutes either side (default 30) is a contact, with when and where.
* Minimal disclosure: contacts are shown by masked name and masked ID only; the
  officer's view is audit-logged (``records.trace``).
* A case whose resident lies outside the officer's reach is "not found" (404): their
  regions, or the health department's (``dept:health``, ``dept:health/<region>``),
  whose records a trace makes.
* A scan a guard reported "not the holder" is left out, a contact's and the case's
  own: the person scanned was not the code's holder, and who it was is unknown.
* The records made carry a source id derived from case + contact + venue, so doing it
  twice changes nothing (counted unchanged).
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from healthcode.domain.clock import day_of, start_of
from healthcode.domain.errors import DomainError, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.identity.id_number import parse_id_number
from healthcode.domain.records import Department, ImportKind
from healthcode.domain.scope import Scope
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.records.imports import ImportReport, import_records, staff_sender
from healthcode.services.shared import audit
from healthcode.services.shared.bounds import EARLIEST, LATEST
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

HEALTH = Department.HEALTH.value
LOOK_BACK = timedelta(days=14)
DEFAULT_WINDOW = 30  # minutes either side of each of the case's scans
MAX_WINDOW = 240
MAX_CONTACTS = 5000
KINDS = (ImportKind.CLOSE_CONTACT, ImportKind.EXPOSURE)  # red, or yellow


class CaseNotFound(NotFound):
    code = "case_not_found"


class NothingSelected(DomainError):
    status = 422
    code = "nothing_selected"


@dataclass(frozen=True)
class CaseSummary:
    resident_id: uuid.UUID
    masked_name: str
    masked_id: str
    record_id: uuid.UUID
    start: date | None


@dataclass(frozen=True)
class Visit:
    """One of the case's scans: the venue and the window looked at around it."""

    venue_id: uuid.UUID
    venue_name: str
    at: datetime
    window_start: datetime
    window_end: datetime


@dataclass(frozen=True)
class Overlap:
    venue_id: uuid.UUID
    venue_name: str
    case_at: datetime
    contact_at: datetime


@dataclass(frozen=True)
class Contact:
    resident_id: uuid.UUID
    masked_name: str
    masked_id: str
    overlaps: tuple[Overlap, ...]  # oldest first


@dataclass(frozen=True)
class Trace:
    case: CaseSummary
    since: date
    window_minutes: int
    visits: tuple[Visit, ...]
    contacts: tuple[Contact, ...]
    complete: bool = True  # False: the search stopped past MAX_CONTACTS people
    not_the_holder: int = 0  # scans left out: a guard reported the person was not the holder


def _scope(principal: Principal) -> Scope:
    return principal.scope(Permission.RECORDS_IMPORT)


def _case_regions(scope: Scope) -> list[str] | None:
    """The region prefixes ``Scope.covers_records`` gives the health department's
    records (the cases a trace starts from); None: everywhere. Until stop 43 only
    regions counted (an outside probe)."""
    prefixes = set(scope.regions) | {p for held, p in scope.departments if held == HEALTH}
    return None if scope.everywhere or "" in prefixes else sorted(prefixes)


def confirmed_cases(
    uow: UnitOfWork, principal: Principal, *, limit: int = 100
) -> list[CaseSummary]:
    """The confirmed cases in force within the officer's reach, newest first."""
    regions = _case_regions(_scope(principal))
    return [_case(r, record) for record, r in uow.data_records.confirmed_cases(regions, limit)]


def find_case(uow: UnitOfWork, env: Env, principal: Principal, *, id_number: str) -> CaseSummary:
    """A case by the resident's ID number (hashed, never stored in clear)."""
    number = parse_id_number(id_number.strip(), today=day_of(env.clock.now())).value
    id_hash = env.protector.keyed_hash(number, kind="id_number")
    resident = uow.residents.by_id_hash(id_hash)
    return _in_scope(uow, principal, resident.id if resident else None)[0]


def trace_case(
    uow: UnitOfWork,
    env: Env,
    principal: Principal,
    *,
    resident_id: uuid.UUID,
    since: date | None = None,
    window_minutes: int = DEFAULT_WINDOW,
) -> Trace:
    """The case's venues and windows, and everyone scanned there within the window."""
    case, _ = _in_scope(uow, principal, resident_id)
    now = env.clock.now()
    if not 1 <= window_minutes <= MAX_WINDOW:
        raise InvalidInput.single(
            "window",
            "out_of_range",
            N_("The window is between 1 and {max} minutes"),
            max=MAX_WINDOW,
        )
    start = since or ((case.start or day_of(now)) - LOOK_BACK)
    if start > day_of(now):
        raise InvalidInput.single("since", "future", N_("The start date lies in the future"))
    if start < EARLIEST:  # midnight of 0001-01-01 in Shanghai is before year 1 in UTC
        raise InvalidInput.single(
            "since",
            "date_out_of_range",
            N_("Enter a date between {earliest} and {latest}"),
            earliest=EARLIEST.isoformat(),
            latest=LATEST.isoformat(),
        )
    visits, found, left_out = _search(
        uow, resident_id, start_of(start), now, timedelta(minutes=window_minutes)
    )
    contacts = tuple(
        Contact(r.id, r.name_masked, r.id_masked, tuple(sorted(o, key=lambda x: x.contact_at)))
        for r, o in sorted(found.values(), key=lambda e: min(x.contact_at for x in e[1]))
    )
    audit.record(
        uow,
        env,
        actor_id=principal.account_id,
        action="records.trace",
        resident_id=resident_id,
        detail={
            "since": start.isoformat(),
            "window": window_minutes,
            "visits": len(visits),
            "contacts": len(contacts),
            "not_the_holder": left_out,
        },
    )
    complete = len(found) <= MAX_CONTACTS
    return Trace(case, start, window_minutes, tuple(visits), contacts, complete, left_out)


Found = dict[uuid.UUID, tuple[t.Resident, list[Overlap]]]


def _search(
    uow: UnitOfWork, resident_id: uuid.UUID, since: datetime, until: datetime, window: timedelta
) -> tuple[list[Visit], Found, int]:
    """The case's visits, the people scanned there within the window, and how many scans
    were left out because a guard reported the person was not the code's holder: the
    case's own (someone else showed the case's code; the case was not there) and
    others' (the resident named was not there). Until stop 43 they counted: a resident
    whose code another person showed was made a close contact (an outside probe)."""
    visits: list[Visit] = []
    found: Found = {}
    own = uow.scans.of_resident_between(resident_id, since, until)
    left_out = uow.scans.reported_not_the_holder([scan.id for scan, _ in own])
    for scan, venue in own:
        if scan.id in left_out:
            continue
        low, high = _around(scan, window)
        visits.append(Visit(venue.id, venue.name, scan.scanned_at, low, high))
        others = uow.scans.others_at(venue.id, low, high, not_resident=resident_id)
        flagged = uow.scans.reported_not_the_holder([other.id for other, _ in others])
        left_out |= flagged
        for other, resident in others:
            if other.id in flagged:
                continue
            entry = found.setdefault(resident.id, (resident, []))
            overlap = Overlap(venue.id, venue.name, scan.scanned_at, other.scanned_at)
            if overlap not in entry[1]:
                entry[1].append(overlap)
        if len(found) > MAX_CONTACTS:
            break
    return visits, found, len(left_out)


def create_contact_records(
    uow: UnitOfWork,
    env: Env,
    principal: Principal,
    *,
    resident_id: uuid.UUID,
    contacts: Iterable[uuid.UUID] | None = None,
    since: date | None = None,
    window_minutes: int = DEFAULT_WINDOW,
    kind: ImportKind = ImportKind.CLOSE_CONTACT,
) -> ImportReport:
    """Turn the trace (or the officer's selection from it) into close-contact records
    (red) or, the officer's milder choice, possible-exposure records (yellow): one
    import batch from the health department; the caller commits, then calls
    ``recolour_batch`` like after any import. Only residents the trace lists count:
    an id not among them is ignored, never recorded."""
    if kind not in KINDS:
        raise InvalidInput.single(
            "kind", "kind", N_("Tracing makes close-contact or possible-exposure records")
        )
    trace = trace_case(
        uow, env, principal, resident_id=resident_id, since=since, window_minutes=window_minutes
    )
    wanted = None if contacts is None else set(contacts)
    chosen = [c for c in trace.contacts if wanted is None or c.resident_id in wanted]
    if not chosen:
        raise NothingSelected(N_("Select at least one contact from the trace"))
    today = day_of(env.clock.now())
    lines = []
    for contact in chosen:
        resident = uow.residents.by_id(contact.resident_id)
        assert resident is not None
        first = contact.overlaps[0]
        lines.append(
            {
                "source_id": _source_id(kind, resident_id, contact.resident_id, first.venue_id),
                "id_number": env.protector.decrypt(
                    resident.id_cipher, context="id_number"
                ).decode(),
                "start": min(day_of(first.contact_at), today).isoformat(),
                "detail": f"{first.venue_name}"[:200],
            }
        )
    data = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    return import_records(
        uow,
        env,
        sender=staff_sender(principal, Department.HEALTH),
        department=Department.HEALTH,
        kind=kind,
        stream=io.BytesIO(data.encode()),
        file_name=f"tracing {trace.case.masked_name} {trace.case.record_id}.jsonl",
        file_format="jsonl",
    )


def _source_id(kind: ImportKind, case: uuid.UUID, contact: uuid.UUID, venue: uuid.UUID) -> str:
    """The same case, contact and venue give the same id: doing it twice is harmless.
    The kind is part of it: a close contact after a possible exposure is a new record."""
    digest = hashlib.sha256(f"{kind.value}:{case}:{contact}:{venue}".encode()).hexdigest()
    return f"TRACE-{digest[:40]}"


def _around(scan: t.Scan, window: timedelta) -> tuple[datetime, datetime]:
    return scan.scanned_at - window, scan.scanned_at + window


def _in_scope(
    uow: UnitOfWork, principal: Principal, resident_id: uuid.UUID | None
) -> tuple[CaseSummary, t.Resident]:
    resident = uow.residents.by_id(resident_id) if resident_id else None
    if resident is None or not _scope(principal).covers_records(HEALTH, resident.region_code):
        raise CaseNotFound(N_("No such confirmed case"))
    records = [
        r
        for r in uow.data_records.of_resident(resident.id)
        if r.kind == "confirmed" and r.withdrawn_at is None
    ]
    if not records:
        raise CaseNotFound(N_("No such confirmed case"))
    record = max(records, key=lambda r: (r.start or date.min, str(r.id)))
    return _case(resident, record), resident


def _case(resident: t.Resident, record: t.DataRecord) -> CaseSummary:
    return CaseSummary(
        resident.id, resident.name_masked, resident.id_masked, record.id, record.start
    )


__all__ = [
    "CaseNotFound",
    "CaseSummary",
    "Contact",
    "NothingSelected",
    "Overlap",
    "Trace",
    "Visit",
    "confirmed_cases",
    "create_contact_records",
    "find_case",
    "trace_case",
]
