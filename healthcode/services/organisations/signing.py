"""The issuer signs a pass application (seed 000 §二.二.2 签发).

What the issuer may sign is the domain's rule (``domain/signing.py``); this use case
loads and locks the application within the issuer's reach (``applications.reach``: the
same rule as the queue they read it in, a suspended organisation refused by name),
applies it, records the signature with the active issuer authorisation for the
application's organisation it is made under (locked, so a revocation waits) and
recolours.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from healthcode.domain.clock import local
from healthcode.domain.colour import Colour
from healthcode.domain.errors import Conflict
from healthcode.domain.i18n import N_
from healthcode.domain.signing import (
    InfoNeeded,
    check_against_rules,
    check_requested,
    check_signable,
)
from healthcode.domain.state import State
from healthcode.services.accounts.permissions import Permission, Principal, Role
from healthcode.services.codes.recolour import Cause, current_state, recolour
from healthcode.services.notices import events
from healthcode.services.organisations import outcomes
from healthcode.services.organisations.applications import (
    NOT_AUTHORISED,
    NotAuthorised,
    reviewable,
)
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork


class NotPending(Conflict):
    code = "not_pending"


class NotChecked(Conflict):
    code = "not_checked"


def sign_pass(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    application_id: uuid.UUID,
    colour: Colour,
    note: str = "",
    requested: Sequence[InfoNeeded] = (),
    client: str = "",
) -> State:
    check_signable(colour)
    requested = tuple(dict.fromkeys(requested))
    check_requested(colour, requested, note)
    # In scope first: out of it, 404 without a wait on a resident the issuer may not
    # see. Then the resident's lock first, as every write that recolours takes it.
    _, resident, _ = reviewable(uow, env, who, application_id, permission=Permission.PASS_SIGN)
    uow.residents.lock(resident.id)
    # Two issuers on one application: the second waits here, then finds it signed.
    application, resident, policy = reviewable(
        uow, env, who, application_id, permission=Permission.PASS_SIGN, lock=True
    )
    grant = (
        uow.authorisations.active(
            who.account_id, application.organisation_id, Role.ISSUER.value, lock=True
        )
        if application.organisation_id is not None
        else None
    )
    if grant is None:  # suspended or revoked while this request was on its way, or none
        raise NotAuthorised(NOT_AUTHORISED)
    if application.checked_at is None:
        raise NotChecked(
            N_("The data check has not run on this application yet; sign it once it has")
        )
    state = current_state(uow, env, resident_id=resident.id, policy=policy)
    if state.awaiting_signature != str(application.id):
        raise _not_pending(uow, application.id, state)
    check_against_rules(colour, suggested=state.suggested, reasons=state.reasons, note=note)
    uow.add(
        t.Signature(
            declaration_id=application.id,
            resident_id=resident.id,
            issuer_id=who.account_id,
            colour=colour.value,
            note=note.strip(),
            signed_at=env.clock.now(),
            authorisation_id=grant.id,
            requested=[r.value for r in requested] or None,
        )
    )
    uow.flush()
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action="pass.signed",
        resident_id=resident.id,
        detail={
            "application": str(application.id),
            "colour": colour.value,
            "authorisation": str(grant.id),
            "requested": [r.value for r in requested],
        },
        client=client,
    )
    signed = recolour(
        uow,
        env,
        resident_id=resident.id,
        policy=policy,
        cause=Cause.SIGNATURE,
        actor_id=who.account_id,
    )
    events.pass_signed(
        uow,
        env,
        resident_id=resident.id,
        policy_id=policy.id,
        application_id=application.id,
        colour=colour.value,
    )
    outcomes.tell_outcome(
        uow,
        env,
        application=application,
        policy=policy,
        state=signed,
        colour=colour,
        requested=requested,
        note=note.strip(),
    )
    return signed


def _not_pending(uow: UnitOfWork, application_id: uuid.UUID, state: State) -> NotPending:
    """Why it cannot be signed, in the words the issuer acts on: signed already (by a
    colleague a moment ago), or the resident applied again since (the newer one waits
    in the queue). "Not waiting for a signature" alone left them guessing."""
    signed = uow.signatures.for_declarations([application_id])
    if signed:
        return NotPending(
            N_("This application was signed already, at {time}"),
            time=local(signed[0].signed_at).strftime("%m-%d %H:%M"),
        )
    if state.awaiting_signature is not None:
        return NotPending(
            N_("The resident has applied again since: sign the newer application instead"),
            newer=state.awaiting_signature,
        )
    return NotPending(N_("This application is not waiting for a signature"))
