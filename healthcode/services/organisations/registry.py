"""Organisations: communities (居委会), villages (村委会) and employers (法人单位).

An organisation acts only while active; a pass application names the one that
reviews it (the resident's community or village, or the employer they work for).
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from healthcode.domain.errors import FieldError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.identity.regions import parse_region_code
from healthcode.domain.identity.uscc import parse_uscc
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
    be active; else the only active community or village of the resident's county, if
    there is exactly one (with several, an unrouted application waits for the region's
    staff to route it)."""
    if organisation_id is None:
        only = uow.organisations.grassroots_in(region_code, limit=2)
        return only[0].id if len(only) == 1 else None
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
