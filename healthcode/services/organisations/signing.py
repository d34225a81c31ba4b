"""The issuer signs a pass application (seed 000 §二.二.2 签发).

What the issuer may sign is the domain's rule (``domain/signing.py``); this use case
loads and locks the application, applies it, records the signature and recolours.
Scoping issuers to their community or employer arrives with the organisations
capability; today the `pass.sign` permission is required.
"""

from __future__ import annotations

import uuid

from healthcode.domain.colour import Colour
from healthcode.domain.errors import Conflict, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.policy import Model
from healthcode.domain.signing import check_against_rules, check_signable
from healthcode.domain.state import State
from healthcode.services.codes.recolour import Cause, current_state, recolour
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork


class NotPending(Conflict):
    code = "not_pending"


def sign_pass(
    uow: UnitOfWork,
    env: Env,
    *,
    issuer_id: uuid.UUID,
    application_id: uuid.UUID,
    colour: Colour,
    note: str = "",
    client: str = "",
) -> State:
    check_signable(colour)
    found = uow.declarations.by_id(application_id)
    if found is not None and found.resident_id is not None:  # the resident first,
        uow.residents.lock(found.resident_id)  # as every write that recolours does
    # Two issuers on one application: the second waits here, then finds it signed.
    application = uow.declarations.by_id(application_id, lock=True)
    if application is None or application.confirmed_at is None or not application.resident_id:
        raise NotFound(N_("No such application"))
    policy = env.policies.find(application.policy_id)
    if policy.model is not Model.PASS:
        raise NotFound(N_("No such application"))
    state = current_state(uow, env, resident_id=application.resident_id, policy=policy)
    if state.awaiting_signature != str(application.id):
        raise NotPending(N_("This application is not waiting for a signature"))
    check_against_rules(colour, suggested=state.suggested, reasons=state.reasons, note=note)
    uow.add(
        t.Signature(
            declaration_id=application.id,
            issuer_id=issuer_id,
            colour=colour.value,
            note=note.strip(),
            signed_at=env.clock.now(),
        )
    )
    uow.flush()
    audit.record(
        uow,
        env,
        actor_id=issuer_id,
        action="pass.signed",
        resident_id=application.resident_id,
        detail={"application": str(application.id), "colour": colour.value},
        client=client,
    )
    return recolour(
        uow,
        env,
        resident_id=application.resident_id,
        policy=policy,
        cause=Cause.SIGNATURE,
        actor_id=issuer_id,
    )
