"""Who reviews what happened in an organisation or a region: the officers told of a
new fraud case (``fraud/cases.py``) and of an appeal against a manual colour or a
fraud finding (``appeals/steps.py``)."""

from __future__ import annotations

import uuid

from healthcode.domain.scope import Scope
from healthcode.services.accounts.permissions import Role
from healthcode.store.uow import UnitOfWork


def officers_of(
    uow: UnitOfWork, organisation_id: uuid.UUID | None, region_code: str
) -> set[uuid.UUID]:
    """The officers who review what happened in an organisation (its issuers) or, with
    none (a Binzhou finding, a resident with no application, an organisation without
    issuers), in a region: the administrators whose region covers it."""
    if organisation_id is not None:
        issuers = set(uow.authorisations.holders(organisation_id, Role.ISSUER.value))
        if issuers:
            return issuers
    return {
        account
        for account, scope in uow.accounts.region_holders(Role.ADMIN.value)
        if Scope.of([scope]).covers(organisation_id=None, region_code=region_code)
    }
