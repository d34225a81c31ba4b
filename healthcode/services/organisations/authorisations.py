"""Issuer authorisations (签发人员维护): who may act for an organisation, and how.

An authorisation is the record (applied, decided, suspended, revoked, with reasons);
while it is active it grants its role scoped to the organisation (an
``account_roles`` row ``org:<id>``), which is what a request's principal carries.
Activation and withdrawal change both in one transaction.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from healthcode.domain.scope import org_scope
from healthcode.services.accounts.permissions import Role
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
    return row


def activate(uow: UnitOfWork, row: t.Authorisation) -> None:
    """Make the grant (kept if the account already holds it)."""
    row.status = AuthorisationStatus.ACTIVE.value
    uow.accounts.hold(row.account_id, row.role, org_scope(row.organisation_id))
    uow.flush()
