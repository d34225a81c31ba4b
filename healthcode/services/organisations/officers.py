"""Who reviews what happened in an organisation or a region: the officers told of a
new fraud case (``fraud/cases.py``) and of an appeal against a manual colour or a
fraud finding (``appeals/steps.py``), and the administrators told when nobody may
decide an appeal."""

from __future__ import annotations

import uuid
from collections.abc import Set

from healthcode.domain.scope import Scope
from healthcode.services.accounts.permissions import Role
from healthcode.store.uow import UnitOfWork


def officers_of(
    uow: UnitOfWork,
    organisation_id: uuid.UUID | None,
    region_code: str,
    *,
    excluding: Set[uuid.UUID | None] = frozenset(),
) -> set[uuid.UUID]:
    """The officers who review what happened in an organisation (its issuers) or, with
    none (a Binzhou finding, a resident with no application, an organisation without
    issuers, or only those ``excluding`` names: the two who decided what is disputed),
    in a region: the administrators whose region covers it, else the deployment's."""
    if organisation_id is not None:
        issuers = set(uow.authorisations.holders(organisation_id, Role.ISSUER.value))
        if issuers - excluding:
            return issuers - excluding
    regional, deployment = administrators_of(uow, region_code)
    return (regional - excluding) or (deployment - excluding)


def administrators_of(uow: UnitOfWork, region_code: str) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """The active administrators whose region covers ``region_code``, and those of the
    whole deployment (scope ""), apart: the nearest are asked first."""
    regional, deployment = set(), set()
    for account, scope in uow.accounts.region_holders(Role.ADMIN.value):
        if scope == "":
            deployment.add(account)
        elif Scope.of([scope]).covers_region(region_code):
            regional.add(account)
    return regional, deployment
