"""The issuer's review queue for pass applications (seed 000 §二.二.2 通行卡签发).

The queue shows what an issuer needs to decide at a glance (masked identity, the
rules' suggested colour and why); opening one application shows it whole and is
audit-logged. Every staff read and write of an application goes through
``reviewable`` (one application) or the scoped queue query (many): a staff member
reaches only the applications of the organisations and regions their role is held in
(``domain/scope.py``); anything else is "not found", as for residents.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from healthcode.domain.errors import NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.policy import Model, Policy
from healthcode.domain.state import State
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.codes.recolour import current_state
from healthcode.services.residents.results import DeclarationDetail
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork


@dataclass(frozen=True)
class QueueItem:
    application_id: uuid.UUID
    policy: Policy
    submitted_at: datetime
    name_masked: str
    id_masked: str
    region_code: str
    destination: str | None
    purpose: str | None
    state: State


@dataclass(frozen=True)
class SignedBy:
    """A signature, explained: who, under which authorisation, and its status now
    (a signature made before a revocation keeps naming the grant it was made under)."""

    colour: str
    note: str
    signed_at: datetime
    authorisation_id: uuid.UUID | None
    signer_name: str
    position: str
    organisation_name: str
    authorisation_status: str


@dataclass(frozen=True)
class ApplicationDetail:
    item: QueueItem
    name: str
    sex: str
    birth_date: date
    address: str
    declaration: DeclarationDetail
    signatures: tuple[SignedBy, ...] = ()


def list_pass_policies(env: Env) -> list[Policy]:
    return [p for p in env.policies.values() if p.model is Model.PASS]


def list_pending_applications(
    uow: UnitOfWork, env: Env, who: Principal, *, limit: int = 50, offset: int = 0
) -> tuple[int, list[QueueItem]]:
    policies = {p.id: p for p in list_pass_policies(env)}
    scope = who.scope(Permission.APPLICATION_READ)
    rows = uow.applications.pending(list(policies), scope, limit=limit, offset=offset)
    total = uow.applications.count_pending(list(policies), scope)
    return total, [_item(uow, env, policies[c.policy_id], r, d) for c, r, d in rows]


def reviewable(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    application_id: uuid.UUID,
    *,
    permission: Permission = Permission.APPLICATION_READ,
    lock: bool = False,
) -> tuple[t.Declaration, t.Resident, Policy]:
    """One pass application the caller may act on with ``permission``, else not found."""
    declaration = uow.declarations.by_id(application_id, lock=lock)
    policies = {p.id: p for p in list_pass_policies(env)}
    if (
        declaration is None
        or declaration.confirmed_at is None
        or declaration.resident_id is None
        or declaration.policy_id not in policies
    ):
        raise NotFound(N_("No such application"))
    resident = uow.residents.by_id(declaration.resident_id)
    assert resident is not None
    organisation = (
        uow.organisations.by_id(declaration.organisation_id)
        if declaration.organisation_id is not None
        else None
    )
    region = organisation.region_code if organisation is not None else resident.region_code
    if not who.scope(permission).covers(
        organisation_id=declaration.organisation_id, region_code=region
    ):
        raise NotFound(N_("No such application"))
    return declaration, resident, policies[declaration.policy_id]


def open_application(
    uow: UnitOfWork, env: Env, who: Principal, *, application_id: uuid.UUID, client: str = ""
) -> ApplicationDetail:
    declaration, resident, policy = reviewable(uow, env, who, application_id)
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action="application.viewed",
        resident_id=resident.id,
        detail={"application": str(application_id)},
        client=client,
    )
    return ApplicationDetail(
        item=_item(uow, env, policy, resident, declaration),
        name=resident.name,
        sex=resident.sex,
        birth_date=resident.birth_date,
        address=resident.address,
        declaration=DeclarationDetail.of(declaration),
        signatures=signatures_of(uow, application_id),
    )


def signatures_of(uow: UnitOfWork, application_id: uuid.UUID) -> tuple[SignedBy, ...]:
    return tuple(
        SignedBy(
            colour=s.colour,
            note=s.note,
            signed_at=s.signed_at,
            authorisation_id=s.authorisation_id,
            signer_name=a.name if a else "",
            position=a.position if a else "",
            organisation_name=o.name if o else "",
            authorisation_status=a.status if a else "",
        )
        for s, a, o in uow.authorisations.of_signatures(application_id)
    )


def _item(
    uow: UnitOfWork, env: Env, policy: Policy, resident: t.Resident, declaration: t.Declaration
) -> QueueItem:
    assert declaration.confirmed_at is not None
    return QueueItem(
        application_id=declaration.id,
        policy=policy,
        submitted_at=declaration.confirmed_at,
        name_masked=resident.name_masked,
        id_masked=resident.id_masked,
        region_code=resident.region_code,
        destination=declaration.destination,
        purpose=declaration.purpose,
        state=current_state(uow, env, resident_id=resident.id, policy=policy),
    )
