"""Employers' staff rosters: imported from a CSV or XLSX file, read by their administrators,
and consulted when a resident applies for a pass as an employer's staff (seed 003 §二).

An import keeps the good rows and reports every refused one (its line, field and
reason): an employer fixes a few lines and imports the same file again, which changes
nobody already on the roster (the import is idempotent). People absent from the file
stay on the roster: a file may be one department's; one person at a time is taken
off (``remove_staff``), and a later file holding them brings them back, counted as
added. A duplicated ID number in the file is refused on its second row. Only the
employer's own administrators (``org:<id>``) and administrators of a region covering
it reach a roster; anyone else is told it does not exist.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from healthcode.domain.clock import day_of
from healthcode.domain.errors import FieldError, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.identity import parse_id_number, parse_mobile, parse_name, parse_uscc
from healthcode.domain.identity.phone import mask_mobile
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.organisations.roster_files import SheetRow, read_rows
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

EMPLOYER = "employer"
MAX_DEPARTMENT = 100


@dataclass(frozen=True)
class RefusedRow:
    line: int
    field: str
    code: str
    message: str  # an English message id; the edge translates it
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class ImportReport:
    batch: uuid.UUID
    added: int
    updated: int
    unchanged: int
    refused: tuple[RefusedRow, ...]


@dataclass(frozen=True)
class StaffMember:
    id: uuid.UUID
    name: str
    id_masked: str
    phone_masked: str | None
    department: str
    updated_at: datetime


@dataclass(frozen=True)
class Roster:
    organisation_id: uuid.UUID
    organisation_name: str
    total: int
    staff: tuple[StaffMember, ...]


@dataclass(frozen=True)
class Employer:
    id: uuid.UUID
    name: str
    credit_code: str


@dataclass(frozen=True)
class _Person:
    line: int
    name: str
    id_number: str
    id_masked: str
    phone: str | None
    department: str
    # the optional columns the file has: one it leaves out keeps what is stored (a
    # re-import without them wiped every phone and department)
    given: frozenset[str] = frozenset(("phone", "department"))


def managed_employer(uow: UnitOfWork, who: Principal, organisation_id: uuid.UUID) -> t.Organisation:
    """The employer whose roster ``who`` administers; anything else is not found."""
    found = uow.organisations.by_id(organisation_id)
    scope = who.scope(Permission.STAFF_MANAGE)
    if (
        found is None
        or found.kind != EMPLOYER
        or not scope.covers(organisation_id=found.id, region_code=found.region_code)
    ):
        raise NotFound(N_("No such employer"))
    return found


def manages_roster(uow: UnitOfWork, who: Principal, organisation_id: uuid.UUID) -> bool:
    """Whether ``who`` administers the employer's roster (its parent community's
    administrators see the board, not the roster: its link led them to a 404)."""
    try:
        managed_employer(uow, who, organisation_id)
    except NotFound:
        return False
    return True


def employer_by_code(uow: UnitOfWork, credit_code: str, *, id_hash: bytes) -> uuid.UUID | None:
    """The active employer an applicant names by its credit code, whose roster must hold
    the applicant's ID number (none named: None)."""
    if not credit_code.strip():
        return None
    code = parse_uscc(credit_code, field="employer_code").value
    found = uow.organisations.by_credit_code(code)
    if found is None or found.kind != EMPLOYER or found.status != "active":
        raise InvalidInput.single(
            "employer_code", "unknown_employer", N_("No active employer has this credit code")
        )
    if uow.employees.on_roster(found.id, id_hash) is None:
        raise InvalidInput.single(
            "employer_code",
            "not_on_roster",
            N_("Your ID number is not on {employer}'s staff list; ask its administrator"),
            employer=found.name,
        )
    return found.id


def employers_of(uow: UnitOfWork, env: Env, *, account_id: uuid.UUID) -> tuple[Employer, ...]:
    """The active employers whose roster holds the account's bound ID number: what the
    declaration form offers to apply as staff of."""
    account = uow.accounts.by_id(account_id)
    resident = uow.residents.by_id(account.resident_id) if account and account.resident_id else None
    if resident is None:
        return ()
    return tuple(
        Employer(o.id, o.name, o.credit_code) for o in uow.employees.employers_of(resident.id_hash)
    )


def managed_employers(uow: UnitOfWork, who: Principal, *, limit: int = 100) -> tuple[Employer, ...]:
    """The employers whose rosters ``who`` administers (for the staff pages' list)."""
    scope = who.scope(Permission.STAFF_MANAGE)
    found = uow.employees.employers_within(
        everywhere=scope.everywhere,
        organisation_ids=sorted(scope.organisations),
        region_prefixes=sorted(scope.regions),
        limit=limit,
    )
    return tuple(Employer(o.id, o.name, o.credit_code) for o in found)


def import_staff(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    organisation_id: uuid.UUID,
    content: bytes,
    filename: str = "",
) -> ImportReport:
    """Add and update the employer's staff from a file; report every refused row."""
    employer = managed_employer(uow, who, organisation_id)
    people, refused = _check_rows(read_rows(content, filename=filename), day_of(env.clock.now()))
    uow.employees.lock_roster(employer.id)  # one import of a roster at a time
    hashes = {env.protector.keyed_hash(p.id_number, kind="id_number"): p for p in people}
    refused += _other_names(uow, hashes)
    refused.sort(key=lambda r: r.line)
    known = uow.employees.by_hashes(employer.id, list(hashes))
    batch, now = uuid.uuid4(), env.clock.now()
    added = updated = 0
    for id_hash, person in hashes.items():
        row = known.get(id_hash)
        if row is None:
            uow.add(_new(env, employer.id, id_hash, person, batch, now))
            added += 1
        elif row.removed_at is not None:  # taken off earlier: back on the roster
            _fill(env, row, person, batch, now)
            added += 1
        elif _update(env, row, person, batch, now):
            updated += 1
    uow.flush()
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action="staff.roster.import",
        detail={
            "organisation_id": str(employer.id),
            "batch": str(batch),
            "added": added,
            "updated": updated,
            "refused": len(refused),
        },
    )
    unchanged = len(hashes) - added - updated
    return ImportReport(batch, added, updated, unchanged, tuple(refused))


def enrol(
    uow: UnitOfWork,
    env: Env,
    *,
    organisation_id: uuid.UUID,
    name: str,
    id_number: str,
    department: str = "",
) -> None:
    """Put one person on a roster as an import would (the demo; no principal)."""
    idn = parse_id_number(id_number, today=day_of(env.clock.now()))
    person = _Person(0, parse_name(name), idn.value, idn.masked, None, department)
    id_hash = env.protector.keyed_hash(idn.value, kind="id_number")
    row = uow.employees.by_hashes(organisation_id, [id_hash]).get(id_hash)
    now = env.clock.now()
    if row is None:
        uow.add(_new(env, organisation_id, id_hash, person, uuid.uuid4(), now))
    else:
        _update(env, row, person, uuid.uuid4(), now)
    uow.flush()


def show_roster(
    uow: UnitOfWork,
    who: Principal,
    *,
    organisation_id: uuid.UUID,
    limit: int = 100,
    offset: int = 0,
) -> Roster:
    employer = managed_employer(uow, who, organisation_id)
    total, rows = uow.employees.of(employer.id, limit=limit, offset=offset)
    staff = tuple(_member(r) for r in rows)
    return Roster(employer.id, employer.name, total, staff)


def show_member(
    uow: UnitOfWork, who: Principal, *, organisation_id: uuid.UUID, employee_id: uuid.UUID
) -> StaffMember:
    """One person on the roster (for the page that asks before removing them)."""
    return _member(
        _on_roster(uow, who, organisation_id, lambda e: uow.employees.member(e, employee_id))
    )


def remove_staff(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    organisation_id: uuid.UUID,
    employee_id: uuid.UUID,
    client: str = "",
) -> StaffMember:
    """Take one person off the roster (they left): they drop off the board, the
    entrance list, the counts and the CSV, and can no longer check in or apply as the
    employer's staff. The row stays, marked ``removed_at``, so their past check-ins
    keep their name for tracing and audit; a later import holding their ID number
    brings them back. Someone not (or no longer) on the roster is not found."""
    row = _on_roster(  # locked: a check-in waits
        uow, who, organisation_id, lambda e: uow.employees.member(e, employee_id, lock=True)
    )
    row.removed_at = env.clock.now()
    uow.flush()
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action="staff.roster.remove",
        detail={"organisation_id": str(row.organisation_id), "employee_id": str(row.id)},
        client=client,
    )
    return _member(row)


def taken_off(
    uow: UnitOfWork, who: Principal, *, organisation_id: uuid.UUID, employee_id: uuid.UUID
) -> StaffMember:
    """One person already taken off the roster (the removal form sent twice: a double
    tap, a reload); anyone else, or out of scope, is not found."""
    return _member(
        _on_roster(uow, who, organisation_id, lambda e: uow.employees.taken_off(e, employee_id))
    )


def _on_roster(
    uow: UnitOfWork,
    who: Principal,
    organisation_id: uuid.UUID,
    find: Callable[[uuid.UUID], t.Employee | None],
) -> t.Employee:
    """The roster row ``find`` gives for the employer ``who`` manages; else not found."""
    row = find(managed_employer(uow, who, organisation_id).id)
    if row is None:
        raise NotFound(N_("This person is not on the staff list"))
    return row


def _other_names(uow: UnitOfWork, hashes: dict[bytes, _Person]) -> list[RefusedRow]:
    """Rows naming a registered resident under another name, taken out of ``hashes``
    and refused: the board shows a roster member's colour and next step, so a roster
    holds people under their own names, as the ID card reads. Until stop 44 any ID
    number under any name showed its holder's colour and quarantine end to the
    employer who typed it (an outside probe)."""
    registered = uow.residents.names_by_id_hash(list(hashes))
    refused = []
    for id_hash, name in registered.items():
        if hashes[id_hash].name != name:
            person = hashes.pop(id_hash)
            refused.append(
                RefusedRow(
                    person.line,
                    "name",
                    "name_mismatch",
                    N_(
                        "This ID number is registered under another name: write the name "
                        "as the person's ID card reads"
                    ),
                    {},
                )
            )
    return refused


def _member(r: t.Employee) -> StaffMember:
    return StaffMember(r.id, r.name, r.id_masked, r.phone_masked, r.department, r.updated_at)


def _check_rows(rows: Iterable[SheetRow], today: date) -> tuple[list[_Person], list[RefusedRow]]:
    """Every row checked; a row refused names its first bad field. The same ID number
    twice in one file: the second row is refused."""
    people: dict[str, _Person] = {}
    refused: list[RefusedRow] = []
    for row in rows:
        try:
            person = _person(row, today)
        except InvalidInput as error:
            refused.extend(_refusal(row.line, e) for e in error.errors[:1])
            continue
        first = people.get(person.id_number)
        if first is not None:
            refused.append(
                RefusedRow(
                    row.line,
                    "id_number",
                    "duplicate",
                    N_("The same ID number is on line {line}"),
                    {"line": first.line},
                )
            )
            continue
        people[person.id_number] = person
    return list(people.values()), refused


def _person(row: SheetRow, today: date) -> _Person:
    cells = row.cells
    name = parse_name(cells.get("name", ""))
    idn = parse_id_number(cells.get("id_number", ""), today=today)
    phone = parse_mobile(cells["phone"]) if cells.get("phone") else None
    department = " ".join(cells.get("department", "").split())
    if len(department) > MAX_DEPARTMENT:
        raise InvalidInput.single(
            "department", "length", N_("At most {count} characters"), count=MAX_DEPARTMENT
        )
    given = frozenset(column for column in ("phone", "department") if column in cells)
    return _Person(row.line, name, idn.value, idn.masked, phone, department, given)


def _refusal(line: int, error: FieldError) -> RefusedRow:
    return RefusedRow(line, error.field, error.code, error.message, dict(error.params))


def _new(
    env: Env,
    organisation_id: uuid.UUID,
    id_hash: bytes,
    p: _Person,
    batch: uuid.UUID,
    now: datetime,
) -> t.Employee:
    row = t.Employee(
        organisation_id=organisation_id,
        id_hash=id_hash,
        id_cipher=env.protector.encrypt(p.id_number.encode(), context="id_number"),
        id_masked=p.id_masked,
        created_at=now,
    )
    _fill(env, row, p, batch, now)
    return row


def _update(env: Env, row: t.Employee, p: _Person, batch: uuid.UUID, now: datetime) -> bool:
    """Bring a known row up to the file's; False when nothing differs."""
    phone_hash = _phone_hash(env, p.phone) if "phone" in p.given else row.phone_hash
    department = p.department if "department" in p.given else row.department
    same = (row.name, row.phone_hash, row.department, row.removed_at) == (
        p.name,
        phone_hash,
        department,
        None,
    )
    if not same:
        _fill(env, row, p, batch, now)
    return not same


def _fill(env: Env, row: t.Employee, p: _Person, batch: uuid.UUID, now: datetime) -> None:
    row.name = p.name
    if "phone" in p.given:
        row.phone_hash = _phone_hash(env, p.phone)
        row.phone_cipher = (
            env.protector.encrypt(p.phone.encode(), context="phone") if p.phone else None
        )
        row.phone_masked = mask_mobile(p.phone) if p.phone else None
    if "department" in p.given or row.department is None:
        row.department = p.department
    row.import_batch = batch
    row.updated_at = now
    row.removed_at = None


def _phone_hash(env: Env, phone: str | None) -> bytes | None:
    return env.protector.keyed_hash(phone, kind="phone") if phone else None
