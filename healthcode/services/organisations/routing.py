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
"""

from __future__ import annotations

import uuid

from healthcode.domain.policy import Model
from healthcode.services.notices import events
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork


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
