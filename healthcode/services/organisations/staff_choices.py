"""What the staff-account pages offer an administrator: the roles they may give and the
scopes they may give them in, named. Kept apart from the use cases in
``staff_accounts`` (which decide), as these only describe."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from healthcode.domain.scope import ORG, REGION, org_scope
from healthcode.services.accounts.permissions import ROLE_PERMISSIONS, Permission, Principal, Role
from healthcode.services.organisations.staff_accounts import GRANTABLE, ORGANISATION_ONLY
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork


@dataclass(frozen=True)
class ScopeChoice:
    scope: str
    kind: str  # everywhere | organisation | region | other
    name: str  # the organisation's name or the region's code


def grantable_roles(who: Principal) -> list[Role]:
    """The roles ``who`` may give somewhere, in the order of ``Role``."""
    given = {r for own, _s in who.roles for r in GRANTABLE.get(own, frozenset())}
    return [role for role in Role if role in given]


def organisation_only(role: Role) -> bool:
    """Given only for an organisation: the pages offer no other scope for it."""
    return role in ORGANISATION_ONLY


ORGANISATIONS_OFFERED = 200  # a province holds thousands: past these, ``matching`` finds


def scope_choices(
    uow: UnitOfWork, who: Principal, *, matching: str = "", limit: int = ORGANISATIONS_OFFERED
) -> list[ScopeChoice]:
    """``who``'s own staff.manage scopes, named, then the organisations inside them
    (communities and villages too: only employers were offered, so a region's
    administrator could make a community's issuer only for the whole region, where
    it reached nothing), by region, kind and name; ``matching``: those whose name
    holds it, or whose credit or region code starts with it."""
    own = sorted({s for r, s in who.roles if Permission.STAFF_MANAGE in ROLE_PERMISSIONS[r]})
    held = who.scope(Permission.STAFF_MANAGE)
    choices = [describe_scope(uow, s) for s in own]
    choices += [
        ScopeChoice(org_scope(o.id), "organisation", o.name)
        for o in uow.organisations.within(held, limit=limit, matching=matching.strip())
        if org_scope(o.id) not in own
        and held.covers(organisation_id=o.id, region_code=o.region_code)  # not a child's
    ]
    return choices


def describe_scope(uow: UnitOfWork, scope: str) -> ScopeChoice:
    if scope == "":
        return ScopeChoice(scope, "everywhere", "")
    if scope.startswith(ORG):
        found = _organisation(uow, scope)
        return ScopeChoice(scope, "organisation", found.name if found else scope)
    if scope.startswith(REGION):
        return ScopeChoice(scope, "region", scope[len(REGION) :])
    return ScopeChoice(scope, "other", scope)


def _organisation(uow: UnitOfWork, scope: str) -> t.Organisation | None:
    try:
        return uow.organisations.by_id(uuid.UUID(scope[len(ORG) :]))
    except ValueError:
        return None
