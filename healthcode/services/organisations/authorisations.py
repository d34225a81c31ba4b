"""Issuer authorisations (签发人员维护): who may act for an organisation, and how.

An authorisation is the record (applied, decided, suspended, revoked, with reasons);
while it is active it grants its role scoped to the organisation (an
``account_roles`` row ``org:<id>``), which is what a request's principal carries.
Activation and withdrawal change both in one transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from healthcode.domain.errors import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    collect,
)
from healthcode.domain.i18n import N_
from healthcode.domain.identity.names import parse_name
from healthcode.domain.identity.phone import mask_mobile, parse_mobile
from healthcode.domain.identity.regions import parse_region_code
from healthcode.domain.identity.uscc import parse_uscc
from healthcode.domain.policy import Model
from healthcode.domain.scope import QueueQuery, Scope, org_scope, region_prefix
from healthcode.services.accounts.permissions import Permission, Principal, Role
from healthcode.services.appeals.assignment import assign_waiting
from healthcode.services.notices import events
from healthcode.services.organisations.registry import managed
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork


class AuthorisationStatus(StrEnum):
    APPLIED = "applied"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    REFUSED = "refused"


def grant(
    uow: UnitOfWork,
    env: Env,
    *,
    account_id: uuid.UUID,
    organisation_id: uuid.UUID,
    role: Role,
    name: str,
    position: str = "",
    unit: str = "",
    decided_by: uuid.UUID | None = None,
) -> t.Authorisation:
    """An active authorisation at once (an administrator's own appointment, the demo)."""
    now = env.clock.now()
    row = t.Authorisation(
        account_id=account_id,
        organisation_id=organisation_id,
        role=role.value,
        unit=unit,
        name=name,
        position=position,
        status=AuthorisationStatus.ACTIVE.value,
        applied_at=now,
        decided_by=decided_by,
        decided_at=now,
    )
    uow.add(row)
    activate(uow, row)
    _tell_of_queue(uow, env, row)
    return row


def activate(uow: UnitOfWork, row: t.Authorisation) -> None:
    """Make the grant (kept if the account already holds it)."""
    row.status = AuthorisationStatus.ACTIVE.value
    uow.accounts.hold(row.account_id, row.role, org_scope(row.organisation_id))
    uow.flush()


class Decision(StrEnum):
    APPROVE = "approve"
    REFUSE = "refuse"
    SUSPEND = "suspend"
    REACTIVATE = "reactivate"
    REVOKE = "revoke"


# What each decision needs the authorisation to be, and what it makes it.
_MOVES: dict[Decision, tuple[frozenset[AuthorisationStatus], AuthorisationStatus]] = {
    Decision.APPROVE: (frozenset({AuthorisationStatus.APPLIED}), AuthorisationStatus.ACTIVE),
    Decision.REFUSE: (frozenset({AuthorisationStatus.APPLIED}), AuthorisationStatus.REFUSED),
    Decision.SUSPEND: (frozenset({AuthorisationStatus.ACTIVE}), AuthorisationStatus.SUSPENDED),
    Decision.REACTIVATE: (
        frozenset({AuthorisationStatus.SUSPENDED}),
        AuthorisationStatus.ACTIVE,
    ),
    Decision.REVOKE: (
        frozenset({AuthorisationStatus.ACTIVE, AuthorisationStatus.SUSPENDED}),
        AuthorisationStatus.REVOKED,
    ),
}
_NEEDS_REASON = frozenset({Decision.REFUSE, Decision.SUSPEND, Decision.REVOKE})
APPLICABLE_ROLES = frozenset({Role.ISSUER, Role.ORG_ADMIN})


@dataclass(frozen=True)
class AuthorisationSummary:
    id: uuid.UUID
    account_id: uuid.UUID
    organisation_id: uuid.UUID
    organisation_name: str
    organisation_status: str
    role: Role
    unit: str
    name: str
    position: str
    phone_masked: str | None
    region_code: str | None
    status: AuthorisationStatus
    applied_at: datetime
    decided_at: datetime | None
    reason: str

    @classmethod
    def of(cls, row: t.Authorisation, organisation: t.Organisation) -> AuthorisationSummary:
        return cls(
            id=row.id,
            account_id=row.account_id,
            organisation_id=row.organisation_id,
            organisation_name=organisation.name,
            organisation_status=organisation.status,
            role=Role(row.role),
            unit=row.unit,
            name=row.name,
            position=row.position,
            phone_masked=row.phone_masked,
            region_code=row.region_code,
            status=AuthorisationStatus(row.status),
            applied_at=row.applied_at,
            decided_at=row.decided_at,
            reason=row.reason,
        )


class AlreadyApplied(Conflict):
    code = "already_applied"


class WrongStatus(Conflict):
    code = "authorisation_status"


class OwnApplication(Forbidden):
    code = "own_application"


def apply(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    credit_code: str,
    organisation_name: str,
    unit: str,
    name: str,
    position: str,
    phone: str,
    region_code: str,
    role: Role = Role.ISSUER,
    client: str = "",
) -> AuthorisationSummary:
    """Apply to act for an organisation (签发人员维护). Checked at once: the organisation
    exists and is active, its name matches its credit code, and the applicant's
    region is the organisation's (or lies within it)."""
    if role not in APPLICABLE_ROLES:
        raise InvalidInput.single("role", "role", N_("Apply as an issuer or an administrator"))
    errors: list[FieldError] = []
    organisation = _organisation_of(uow, credit_code, organisation_name, errors)
    person = collect(errors, lambda: parse_name(name, field="name"))
    number = collect(errors, lambda: parse_mobile(phone, field="phone"))
    region = collect(errors, lambda: parse_region_code(region_code, field="region"))
    if (
        organisation is not None
        and region is not None
        and not region.code.startswith(region_prefix(organisation.region_code))
    ):
        errors.append(
            FieldError(
                "region",
                "region_mismatch",
                N_("Your region does not match the organisation's ({region})"),
                {"region": organisation.region_code},
            )
        )
    if not position.strip():
        errors.append(FieldError("position", "required", N_("Please enter your position")))
    if errors:
        raise InvalidInput(*errors)
    assert organisation is not None
    assert person is not None
    assert number is not None
    assert region is not None
    if uow.authorisations.open_of(who.account_id, organisation.id, role.value) is not None:
        raise AlreadyApplied(N_("You have already applied to this organisation"))
    row = t.Authorisation(
        account_id=who.account_id,
        organisation_id=organisation.id,
        role=role.value,
        unit=" ".join(unit.split()),
        name=person,
        position=" ".join(position.split()),
        phone_masked=mask_mobile(number),
        phone_cipher=env.protector.encrypt(number.encode(), context="phone"),
        region_code=region.code,
        status=AuthorisationStatus.APPLIED.value,
        applied_at=env.clock.now(),
    )
    uow.add(row)
    uow.flush()
    _audit(uow, env, who, "authorisation.applied", row, client)
    return AuthorisationSummary.of(row, organisation)


def _organisation_of(
    uow: UnitOfWork, credit_code: str, organisation_name: str, errors: list[FieldError]
) -> t.Organisation | None:
    code = collect(errors, lambda: parse_uscc(credit_code, field="credit_code").value)
    if code is None:
        return None
    found = uow.organisations.by_credit_code(code)
    if found is None:
        errors.append(
            FieldError("credit_code", "unknown", N_("No organisation has this credit code"))
        )
        return None
    if found.status != "active":
        errors.append(
            FieldError(
                "credit_code",
                "inactive",
                N_("This organisation is not active (pending or suspended)"),
            )
        )
        return None
    if " ".join(organisation_name.split()) != found.name:
        errors.append(
            FieldError(
                "organisation_name",
                "name_mismatch",
                N_("The name does not match the organisation registered with this credit code"),
            )
        )
        return None
    return found


def decide(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    authorisation_id: uuid.UUID,
    decision: Decision,
    reason: str = "",
    client: str = "",
) -> AuthorisationSummary:
    """Approve, refuse, suspend, reactivate or revoke, with who and when (and why);
    the grant follows in the same transaction. The row is locked: a signature under it
    finishes first, or finds it withdrawn."""
    row, organisation = _decidable(uow, who, authorisation_id, lock=True)
    allowed, after = _MOVES[decision]
    if AuthorisationStatus(row.status) not in allowed:
        raise WrongStatus(N_("This cannot be done to an authorisation in its present state"))
    if row.account_id == who.account_id:
        raise OwnApplication(N_("Another administrator must decide on your own authorisation"))
    if decision in _NEEDS_REASON and not reason.strip():
        raise InvalidInput.single("reason", "required", N_("Please give a reason"))
    if after is AuthorisationStatus.ACTIVE and organisation.status != "active":
        raise WrongStatus(N_("The organisation is not active"))
    row.decided_by, row.decided_at = who.account_id, env.clock.now()
    row.reason = reason.strip()[:500]
    if after is AuthorisationStatus.ACTIVE:
        activate(uow, row)
    else:
        row.status = after.value
        uow.accounts.drop(row.account_id, row.role, org_scope(row.organisation_id))
        uow.flush()
    _audit(uow, env, who, f"authorisation.{decision.value}", row, client, reason=row.reason)
    if after is AuthorisationStatus.ACTIVE:  # an issuer now may decide what waited
        assign_waiting(uow, env, account_id=row.account_id, actor_id=who.account_id, client=client)
        _tell_of_queue(uow, env, row)
    return AuthorisationSummary.of(row, organisation)


def _tell_of_queue(uow: UnitOfWork, env: Env, row: t.Authorisation) -> None:
    """A new issuer of an organisation learns how many applications already wait."""
    if row.role != Role.ISSUER.value:
        return
    policies = [p.id for p in env.policies.values() if p.model is Model.PASS]
    scope = Scope(organisations=frozenset({row.organisation_id}))
    waiting = uow.applications.count_pending(QueueQuery(policy_ids=policies, scope=scope))
    events.waiting_for_new_issuer(
        uow, env, account_id=row.account_id, organisation_id=row.organisation_id, count=waiting
    )


def _decidable(
    uow: UnitOfWork, who: Principal, authorisation_id: uuid.UUID, *, lock: bool = False
) -> tuple[t.Authorisation, t.Organisation]:
    """An authorisation the caller may decide: an issuer's by an administrator of its
    organisation or of a region covering it; an administrator's by the region only."""
    row = uow.authorisations.by_id(authorisation_id, lock=lock)
    organisation = uow.organisations.by_id(row.organisation_id) if row is not None else None
    if row is None or organisation is None:
        raise NotFound(N_("No such authorisation"))
    scope = who.scope(Permission.ISSUERS_APPROVE)
    if row.role == Role.ORG_ADMIN:
        covered = scope.covers_region(organisation.region_code)
    else:
        covered = scope.covers(
            organisation_id=organisation.id, region_code=organisation.region_code
        )
    if not covered:
        raise NotFound(N_("No such authorisation"))
    return row, organisation


def show_authorisation(
    uow: UnitOfWork, who: Principal, authorisation_id: uuid.UUID
) -> AuthorisationSummary:
    row, organisation = _decidable(uow, who, authorisation_id)
    return AuthorisationSummary.of(row, organisation)


def list_authorisations(
    uow: UnitOfWork,
    who: Principal,
    *,
    status: AuthorisationStatus | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuthorisationSummary]:
    """The authorisations of the organisations the caller approves for, oldest first."""
    rows = uow.authorisations.within(
        who.scope(Permission.ISSUERS_APPROVE),
        status=status.value if status else None,
        limit=limit,
        offset=offset,
    )
    return [AuthorisationSummary.of(a, o) for a, o in rows]


def issuers_of(
    uow: UnitOfWork, who: Principal, organisation_id: uuid.UUID
) -> list[AuthorisationSummary]:
    """An organisation's people and their status (the organisation page)."""
    organisation = managed(uow, who, organisation_id)
    return [
        AuthorisationSummary.of(a, organisation)
        for a in uow.authorisations.of_organisation(organisation.id)
    ]


def my_authorisations(uow: UnitOfWork, who: Principal) -> list[AuthorisationSummary]:
    out = []
    for row in uow.authorisations.of_account(who.account_id):
        organisation = uow.organisations.by_id(row.organisation_id)
        assert organisation is not None
        out.append(AuthorisationSummary.of(row, organisation))
    return out


def _audit(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    action: str,
    row: t.Authorisation,
    client: str,
    **more: str,
) -> None:
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action=action,
        detail={
            "authorisation": str(row.id),
            "organisation": str(row.organisation_id),
            "role": row.role,
            **more,
        },
        client=client,
    )
