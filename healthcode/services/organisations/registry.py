"""Organisations: communities (居委会), villages (村委会) and employers (法人单位).

An organisation acts only while active; a pass application names the one that
reviews it (the resident's community or village, or the employer they work for).

Who registers: an administrator of a region (``Permission.ORGANISATIONS_MANAGE``
held for the region, or everywhere) registers the communities and villages in it,
active at once; an employer registers itself (anyone signed in), naming the
community or village it sits in, and waits, pending, until that community's
administrator (or the region's) approves it. Everything a staff member reads or
changes here is within ``Principal.scope``: elsewhere is "not found".
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from healthcode.domain.errors import Conflict, FieldError, InvalidInput, NotFound, collect
from healthcode.domain.i18n import N_
from healthcode.domain.identity.names import parse_name
from healthcode.domain.identity.phone import mask_mobile, parse_mobile
from healthcode.domain.identity.regions import Region, parse_region_code
from healthcode.domain.identity.uscc import parse_uscc
from healthcode.domain.scope import Scope
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.organisations import routing
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork


class OrganisationKind(StrEnum):
    COMMUNITY = "community"
    VILLAGE = "village"
    EMPLOYER = "employer"


class OrganisationStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"


GRASSROOTS = frozenset({OrganisationKind.COMMUNITY, OrganisationKind.VILLAGE})


@dataclass(frozen=True)
class OrganisationSummary:
    id: uuid.UUID
    kind: OrganisationKind
    credit_code: str
    name: str
    responsible_person: str
    region_code: str
    address: str
    parent_id: uuid.UUID | None
    status: OrganisationStatus
    contact_phone_masked: str | None
    created_at: datetime
    approved_at: datetime | None

    @classmethod
    def of(cls, row: t.Organisation) -> OrganisationSummary:
        return cls(
            id=row.id,
            kind=OrganisationKind(row.kind),
            credit_code=row.credit_code,
            name=row.name,
            responsible_person=row.responsible_person,
            region_code=row.region_code,
            address=row.address,
            parent_id=row.parent_id,
            status=OrganisationStatus(row.status),
            contact_phone_masked=row.contact_phone_masked,
            created_at=row.created_at,
            approved_at=row.approved_at,
        )


class NotPendingOrganisation(Conflict):
    code = "organisation_not_pending"


class OrganisationStatusConflict(Conflict):
    code = "organisation_status"


class OrganisationSuspended(Conflict):
    """A suspended organisation's staff act in its name no more: its issuers neither
    read nor sign its applications, its checkpoints scan nothing, until it is
    reactivated. Said by name, so they know why (not "not found", not an empty queue)."""

    code = "organisation_suspended"


def _unknown() -> NotFound:
    return NotFound(N_("No such organisation"))


def _manage_scope(who: Principal) -> Scope:
    return who.scope(Permission.ORGANISATIONS_MANAGE)


def sees(scope: Scope, row: t.Organisation) -> bool:
    """Within scope: the organisation itself, its parent (a community sees the employers
    in it) or its region."""
    return scope.covers(organisation_id=row.id, region_code=row.region_code) or (
        row.parent_id is not None and row.parent_id in scope.organisations
    )


def governs(scope: Scope, row: t.Organisation) -> bool:
    """May approve, suspend or reactivate it: an employer's community (or the region);
    a community or village only from the region above it."""
    if scope.covers_region(row.region_code):
        return True
    return row.kind == OrganisationKind.EMPLOYER and row.parent_id in scope.organisations


def register_organisation(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    kind: OrganisationKind,
    credit_code: str,
    name: str,
    responsible_person: str,
    region_code: str,
    address: str,
    contact_phone: str,
    parent_id: uuid.UUID | None = None,
    client: str = "",
) -> OrganisationSummary:
    """A community or village by its region's administrator (active at once), or an
    employer by anyone signed in (pending until its community approves it)."""
    errors: list[FieldError] = []
    phone = collect(errors, lambda: parse_mobile(contact_phone, field="contact_phone"))
    person = collect(errors, lambda: parse_name(responsible_person, field="responsible_person"))
    if not " ".join(name.split()):
        errors.append(FieldError("name", "required", N_("Please enter the organisation's name")))
    region = collect(errors, lambda: parse_region_code(region_code, field="region"))
    if region is not None and region.level != "county":
        errors.append(
            FieldError("region", "not_county", N_("Give the county or district code (e.g. 371602)"))
        )
    code = collect(errors, lambda: parse_uscc(credit_code, field="credit_code").value)
    if kind in GRASSROOTS:
        if region is not None and not _manage_scope(who).covers_region(region.code):
            errors.append(
                FieldError(
                    "region",
                    "not_your_region",
                    N_("Only an administrator of this region registers its communities"),
                )
            )
        status, parent = OrganisationStatus.ACTIVE, None
    else:
        status, parent = OrganisationStatus.PENDING, _parent(uow, parent_id, region, errors)
    if errors:
        raise InvalidInput(*errors)
    assert phone is not None
    assert person is not None
    assert region is not None
    assert code is not None
    row = register(
        uow,
        env,
        kind=kind,
        credit_code=code,
        name=name,
        responsible_person=person,
        region_code=region.code,
        address=address,
        parent_id=parent,
        status=status,
    )
    row.contact_phone_cipher = env.protector.encrypt(phone.encode(), context="phone")
    row.contact_phone_masked = mask_mobile(phone)
    if status is OrganisationStatus.ACTIVE:
        row.approved_by, row.approved_at = who.account_id, env.clock.now()
    _audit(uow, env, who, "organisation.registered", row, client)
    _became_active(uow, env, row)
    return OrganisationSummary.of(row)


def _parent(
    uow: UnitOfWork, parent_id: uuid.UUID | None, region: Region | None, errors: list[FieldError]
) -> uuid.UUID | None:
    parent = uow.organisations.by_id(parent_id) if parent_id is not None else None
    if (
        parent is None
        or parent.kind not in GRASSROOTS
        or parent.status != OrganisationStatus.ACTIVE
        or (region is not None and parent.region_code != region.code)
    ):
        errors.append(
            FieldError(
                "parent_id",
                "unknown_community",
                N_("Choose the active community or village of your county that you sit in"),
            )
        )
        return None
    return parent.id


def list_organisations(
    uow: UnitOfWork, who: Principal, *, limit: int = 100, offset: int = 0
) -> list[OrganisationSummary]:
    rows = uow.organisations.within(_manage_scope(who), limit=limit, offset=offset)
    return [OrganisationSummary.of(r) for r in rows]


def communities_of(uow: UnitOfWork, region_code: str) -> list[OrganisationSummary]:
    """Public: the active communities and villages of one county (the declaration form)."""
    region = parse_region_code(region_code, field="region")
    return [
        OrganisationSummary.of(r) for r in uow.organisations.grassroots_in(region.code, limit=500)
    ]


def grassroots_choices(
    uow: UnitOfWork, region_code: str = ""
) -> list[tuple[str, list[OrganisationSummary]]]:
    """Public, for the declaration form: the active communities and villages of the
    county typed (if it has any), else of every county, grouped by county."""
    code = region_code.strip()
    rows: Sequence[t.Organisation] = (
        uow.organisations.grassroots_in(code, limit=500) if len(code) == 6 else ()
    )
    if not rows:
        rows = uow.organisations.grassroots_in(None, limit=500)
    grouped: dict[str, list[OrganisationSummary]] = {}
    for row in rows:
        grouped.setdefault(row.region_code, []).append(OrganisationSummary.of(row))
    return sorted(grouped.items())


def managed(
    uow: UnitOfWork, who: Principal, organisation_id: uuid.UUID, *, lock: bool = False
) -> t.Organisation:
    """One organisation the caller sees (with ORGANISATIONS_MANAGE), else not found."""
    row = (
        uow.organisations.by_id_locked(organisation_id)
        if lock
        else uow.organisations.by_id(organisation_id)
    )
    if row is None or not sees(_manage_scope(who), row):
        raise _unknown()
    return row


def show_organisation(
    uow: UnitOfWork, who: Principal, organisation_id: uuid.UUID
) -> OrganisationSummary:
    return OrganisationSummary.of(managed(uow, who, organisation_id))


def approve_employer(
    uow: UnitOfWork, env: Env, who: Principal, *, organisation_id: uuid.UUID, client: str = ""
) -> OrganisationSummary:
    """The community an employer sits in (or its region) approves it."""
    row = _governed(uow, who, organisation_id)
    if row.status != OrganisationStatus.PENDING:
        raise NotPendingOrganisation(N_("This organisation is not waiting for approval"))
    parent = uow.organisations.by_id(row.parent_id) if row.parent_id else None
    if parent is None or parent.status != OrganisationStatus.ACTIVE:
        raise OrganisationStatusConflict(N_("The community it sits in is not active"))
    row.status = OrganisationStatus.ACTIVE.value
    row.approved_by, row.approved_at = who.account_id, env.clock.now()
    _audit(uow, env, who, "organisation.approved", row, client)
    return OrganisationSummary.of(row)


def set_suspended(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    organisation_id: uuid.UUID,
    suspended: bool,
    reason: str = "",
    client: str = "",
) -> OrganisationSummary:
    """Suspend (its issuers stop signing, no application goes to it) or reactivate."""
    row = _governed(uow, who, organisation_id)
    before, after = (
        (OrganisationStatus.ACTIVE, OrganisationStatus.SUSPENDED)
        if suspended
        else (OrganisationStatus.SUSPENDED, OrganisationStatus.ACTIVE)
    )
    if row.status != before:
        raise OrganisationStatusConflict(
            N_("Only an active organisation can be suspended")
            if suspended
            else N_("Only a suspended organisation can be reactivated")
        )
    if suspended and not reason.strip():
        raise InvalidInput.single("reason", "required", N_("Please give a reason"))
    row.status = after.value
    row.suspended_at = env.clock.now() if suspended else None
    uow.flush()
    action = "organisation.suspended" if suspended else "organisation.reactivated"
    _audit(uow, env, who, action, row, client, reason=reason.strip())
    if not suspended:
        _became_active(uow, env, row)
    return OrganisationSummary.of(row)


def _became_active(uow: UnitOfWork, env: Env, row: t.Organisation) -> None:
    """A community or village now active takes its county's applications that went
    to no organisation while it had none (``routing.route_waiting``)."""
    if row.status == OrganisationStatus.ACTIVE and row.kind in GRASSROOTS:
        routing.route_waiting(uow, env, organisation=row)


def _governed(uow: UnitOfWork, who: Principal, organisation_id: uuid.UUID) -> t.Organisation:
    row = managed(uow, who, organisation_id, lock=True)
    if not governs(_manage_scope(who), row):
        raise _unknown()  # an organisation's own administrator sees it, governs it not
    return row


def _audit(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    action: str,
    row: t.Organisation,
    client: str,
    **more: str,
) -> None:
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action=action,
        detail={"organisation": str(row.id), "credit_code": row.credit_code, **more},
        client=client,
    )


def register(
    uow: UnitOfWork,
    env: Env,
    *,
    kind: OrganisationKind,
    credit_code: str,
    name: str,
    responsible_person: str,
    region_code: str,
    address: str = "",
    parent_id: uuid.UUID | None = None,
    status: OrganisationStatus = OrganisationStatus.PENDING,
) -> t.Organisation:
    code = parse_uscc(credit_code, field="credit_code").value
    region = parse_region_code(region_code, field="region").code
    if uow.organisations.by_credit_code(code) is not None:
        raise InvalidInput(
            FieldError("credit_code", "taken", N_("An organisation with this credit code exists"))
        )
    row = t.Organisation(
        kind=kind.value,
        credit_code=code,
        name=" ".join(name.split()),
        responsible_person=" ".join(responsible_person.split()),
        region_code=region,
        address=address.strip(),
        parent_id=parent_id,
        status=status.value,
        created_at=env.clock.now(),
    )
    uow.add(row)
    uow.flush()
    return row


def reviewer_of(
    uow: UnitOfWork,
    organisation_id: uuid.UUID | None,
    *,
    region_code: str,
    id_hash: bytes | None = None,
) -> uuid.UUID | None:
    """The organisation a pass application goes to: the one chosen, which must exist and
    be active (an employer only for staff on its roster: ``staff_employer``); else the
    only active community or village of the resident's county.
    With several and none chosen the resident must choose; with none active the
    application goes to no organisation and waits for the county's first community
    (``routing``: routed to it when it becomes active)."""
    if organisation_id is None:
        found_in_county = uow.organisations.grassroots_in(region_code, limit=2)
        if len(found_in_county) > 1:
            raise InvalidInput.single(
                "organisation_id", "choose_community", N_("Choose your community or village")
            )
        return found_in_county[0].id if found_in_county else None
    found = uow.organisations.by_id(organisation_id)
    if found is None or found.status != OrganisationStatus.ACTIVE:
        raise InvalidInput(
            FieldError(
                "organisation_id",
                "unknown_organisation",
                N_("No active community, village or employer with this id"),
            )
        )
    if found.kind == OrganisationKind.EMPLOYER:
        return staff_employer(uow, found, id_hash=id_hash)
    return found.id


def staff_employer(
    uow: UnitOfWork, employer: t.Organisation, *, id_hash: bytes | None
) -> uuid.UUID:
    """An application to an employer comes from its staff (seed 003 §二 企业复工): the
    applicant's ID number must be on the employer's roster."""
    if id_hash is None or uow.employees.on_roster(employer.id, id_hash) is None:
        raise InvalidInput(
            FieldError(
                "organisation_id",
                "not_on_roster",
                N_("Your ID number is not on {employer}'s staff list; ask its administrator"),
                {"employer": employer.name},
            )
        )
    return employer.id
