"""Pass applications sent to no organisation ("unrouted"), and where they go.

``registry.reviewer_of`` sends an application to the only active community or village
of the resident's county; while the county has none, to no organisation. An issuer
reaches only their own organisations' applications (``applications.reach``), so such an
application waits for the county's first community:

* ``route_waiting``: when a community or village becomes active (registered by its
  region's administrator, or reactivated after a suspension), the county's unrouted
  waiting applications go to it in the same transaction, and its issuers are told
  (``events.application_waiting``). First come: if the county has other active
  communities by then, they still all go to the one that became active. No feature
  moves an application to another organisation afterwards: a resident who belongs
  to another community applies again choosing it (the new application replaces the
  waiting one).
* ``reviewer_at_confirmation``: an application submitted before the county's first
  community was registered and confirmed after it (within the hour allowed) goes to
  that community when it is confirmed, rather than staying unrouted.
* the resident is told in words while theirs is unrouted (``waits_unrouted``), and the
  region's administrators see how many wait in their counties (``unrouted_in_reach``),
  so they know a community must be registered there.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from healthcode.domain.identity.regions import lookup_region
from healthcode.domain.policy import Model
from healthcode.domain.scope import QueueQuery, Scope
from healthcode.domain.state import State
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.notices import events
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True)
class UnroutedCounty:
    """Pass applications of one county's residents that no issuer can review yet."""

    region_code: str
    region_name: str
    count: int
    oldest_since: datetime | None  # when the longest-waiting one was confirmed


def _pass_policies(env: Env) -> list[str]:
    return [p.id for p in env.policies.values() if p.model is Model.PASS]


def route_waiting(uow: UnitOfWork, env: Env, *, organisation: t.Organisation) -> int:
    """A community or village has just become active: its county's unrouted waiting
    applications go to it, and its active issuers are told (batched); how many."""
    routed = uow.applications.route_unrouted(
        organisation.id, organisation.region_code, _pass_policies(env)
    )
    for application_id in routed:
        events.application_waiting(uow, env, application_id=application_id)
    return len(routed)


def reviewer_at_confirmation(uow: UnitOfWork, region_code: str) -> uuid.UUID | None:
    """For an application that went to no organisation when it was submitted: the
    county's active community or village now (the first by credit code if several
    were registered since), else still none."""
    found = uow.organisations.grassroots_in(region_code, limit=1)
    return found[0].id if found else None


def unrouted(uow: UnitOfWork, application_id: str | None) -> bool:
    """The application awaiting a signature went to no organisation: nobody reviews
    it until a community or village of the resident's county is registered."""
    if application_id is None:
        return False
    row = uow.declarations.by_id(uuid.UUID(application_id))
    return row is not None and row.organisation_id is None


def waits_unrouted(units: UnitOfWorkFactory, state: State) -> bool:
    """``unrouted`` for the resident's code view: one read, only while an application
    awaits a signature (the code page's hot path reads no application otherwise)."""
    if state.awaiting_signature is None:
        return False
    with units.snapshot() as uow:
        return unrouted(uow, state.awaiting_signature)


def unrouted_in_reach(uow: UnitOfWork, env: Env, who: Principal) -> tuple[UnroutedCounty, ...]:
    """Per county within the regions ``who`` manages organisations of: the waiting
    applications that went to no organisation. Nothing for an organisation's own
    administrator (no region is theirs to register communities in)."""
    held = who.scope(Permission.ORGANISATIONS_MANAGE)
    regions = Scope(everywhere=held.everywhere, regions=held.regions)
    if regions.empty:
        return ()
    query = QueueQuery(policy_ids=_pass_policies(env), scope=regions)
    return tuple(
        UnroutedCounty(code, _name(code), count, oldest)
        for code, count, oldest in uow.applications.unrouted(query)
    )


def _name(code: str) -> str:
    found = lookup_region(code)
    return found.full_name if found is not None else code
