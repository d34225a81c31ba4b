"""Declare → pledge → second confirmation → code (seed 003's manual; seed 000 §二.二).

The declaration is submitted with the pledge; it becomes a fact only when the
resident confirms it a second time, and the code is computed at that moment. Under
a pass policy the confirmed declaration is the application, and the code is the
pending black-and-white one until an issuer signs it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from healthcode.domain.clock import day_of, local
from healthcode.domain.colour import Colour
from healthcode.domain.errors import Conflict, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.policy import Model, Policy
from healthcode.domain.state import State
from healthcode.services.codes.recolour import Cause, current_state, recolour
from healthcode.services.fraud import contradictions
from healthcode.services.organisations import routing
from healthcode.services.organisations.registry import reviewer_of
from healthcode.services.organisations.roster import employer_by_code
from healthcode.services.residents import binding, dependants, videos
from healthcode.services.residents.binding import (
    ClaimCodeSent,
    DeclaredIdentity,
    bind_identity,
    declares,
    identity_of,
    refuse_another_number,
    seal,
)
from healthcode.services.residents.dependants import Relationship
from healthcode.services.residents.inputs import DeclarationInput
from healthcode.services.residents.results import DeclarationDetail
from healthcode.services.residents.validation import dump_health, validate_declaration
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

PLEDGE_VERSION = "2020-02-pledge-1"
CONFIRM_WITHIN = timedelta(hours=1)


@dataclass(frozen=True)
class Submission:
    """A declaration awaiting (or past) its second confirmation, and whom it is for."""

    declaration: DeclarationDetail
    identity: DeclaredIdentity


class AlreadyConfirmed(Conflict):
    code = "already_confirmed"


class ConfirmationExpired(Conflict):
    code = "confirmation_expired"


class PassStillValid(Conflict):
    code = "pass_still_valid"


def submit_declaration(
    uow: UnitOfWork,
    env: Env,
    *,
    account_id: uuid.UUID,
    data: DeclarationInput,
    relationship: Relationship | None = None,
) -> Submission:
    """Validate and keep a pledged declaration, awaiting the second confirmation.

    Nothing is bound yet (``binding``); submitting again replaces the account's
    unconfirmed declarations of the same code (for a dependant: the same person's),
    which is how a typo is corrected.
    With ``relationship`` it is made for a dependant (``dependants``), whose number
    must be one the account may hold; the pledge is the applicant's, for them.
    """
    policy = env.policies.find(data.policy)
    now = env.clock.now()
    valid = validate_declaration(data, policy, day_of(now))
    data = valid.data  # place names now codes
    account = uow.accounts.by_id(account_id, lock=True)  # one account's declarations queue
    if account is None:
        raise NotFound(N_("No such account"))
    id_hash = env.protector.keyed_hash(valid.id_number.value, kind="id_number")
    if relationship is None:
        refuse_another_number(uow, account, id_hash)
    reviewer = (
        reviewer_of(
            uow,
            employer_by_code(uow, data.employer_code, id_hash=id_hash) or data.organisation_id,
            region_code=data.region,
            id_hash=id_hash,
        )
        if policy.model is Model.PASS
        else None
    )
    waiting = uow.declarations.unconfirmed(
        account.id, policy.id, for_dependant=relationship is not None
    )
    if relationship is not None:  # one waiting per family member: a second child's
        same = [w for w in waiting if declares(env, w[2], valid)]  # keeps the first's
        others = [w[0] for w in waiting if w not in same]
        dependants.check_dependant(uow, env, account=account, id_hash=id_hash)
        gone = set(dependants.beyond_waiting_limit(uow, others))  # the oldest give way
        waiting = same + [w for w in waiting if w[0] in gone]
    if waiting:  # replaced, with their videos
        videos.discard(uow, env, [video for _, video, _ in waiting if video is not None])
        uow.declarations.remove([declaration_id for declaration_id, _, _ in waiting])
    row = t.Declaration(
        account_id=account.id,
        identity_cipher=seal(env, valid),
        policy_id=policy.id,
        policy_version=policy.version,
        submitted_at=now,
        **declared_columns(data),
        organisation_id=reviewer,
        relationship=relationship.value if relationship is not None else None,
    )
    uow.add(row)
    uow.flush()
    return _submission(uow, env, row)


def declared_columns(data: DeclarationInput) -> dict[str, Any]:
    """What a (validated) declaration says, as the columns of its row, with the pledge."""
    return {
        "temperature": data.temperature,
        **dump_health(data),
        "residence_since": data.residence_since,
        "destination": data.destination or None,
        "destination_detail": data.destination_detail,
        "purpose": data.purpose.value if data.purpose else None,
        "employer": data.employer,
        "pledge": PLEDGE_VERSION,
    }


def show_declaration(
    uow: UnitOfWork, env: Env, *, account_id: uuid.UUID, declaration_id: uuid.UUID
) -> Submission:
    """One of the account's own declarations, to show back; another's is not found."""
    row = _own(uow, account_id, declaration_id, lock=False)
    return _submission(uow, env, row)


def start_from(uow: UnitOfWork, env: Env, *, resident_id: uuid.UUID | None) -> Submission | None:
    """What a new declaration of one's own may start from: the latest confirmed one
    (a pass is applied for again every 5 days, seed 000; its form started blank)."""
    row = uow.declarations.latest_confirmed(resident_id) if resident_id else None
    return None if row is None else _submission(uow, env, row)


def confirm_declaration(
    uow: UnitOfWork,
    env: Env,
    *,
    account_id: uuid.UUID,
    declaration_id: uuid.UUID,
    client: str = "",
) -> State:
    """The second confirmation: the ID number is bound, the declaration counts from
    now and the code follows."""
    row = _pending(uow, env, account_id, declaration_id)
    policy = env.policies.find(row.policy_id)
    resident_id = bind_identity(uow, env, row, client=client)
    uow.residents.lock(resident_id)  # serialise with an issuer signing the previous application
    refuse_while_green(uow, env, resident_id, policy)
    if row.organisation_id is None and policy.model is Model.PASS:  # none in the county
        resident = uow.residents.by_id(resident_id)  # when submitted: one may be now
        assert resident is not None
        row.organisation_id = routing.reviewer_at_confirmation(uow, resident.region_code)
    # Taken after the lock: history follows commit order. The data check is the rules
    # over the declaration and the department's records, which recolour runs next in
    # this transaction (all or nothing), so it is stamped with it: one UPDATE of the
    # row. Only a checked application reaches issuers.
    row.confirmed_at = row.checked_at = env.clock.now()
    state = recolour(uow, env, resident_id=resident_id, policy=policy, cause=Cause.DECLARATION)
    contradictions.check_resident(uow, env, resident_id=resident_id)  # vs travel records
    return state


def request_id_claim_code(
    uow: UnitOfWork, env: Env, *, account_id: uuid.UUID, declaration_id: uuid.UUID, client: str
) -> ClaimCodeSent:
    """The declared ID number is another account's: text a code to that account's phone."""
    row = _pending(uow, env, account_id, declaration_id)
    return binding.request_claim_code(uow, env, row=row, client=client)


def claim_id_number(
    uow: UnitOfWork,
    env: Env,
    *,
    account_id: uuid.UUID,
    declaration_id: uuid.UUID,
    code: str,
    client: str,
) -> None:
    """With the texted code, move the ID number here; the declaration is confirmed next."""
    row = _pending(uow, env, account_id, declaration_id)
    binding.claim_id_number(uow, env, row=row, code=code, client=client)


def _pending(
    uow: UnitOfWork, env: Env, account_id: uuid.UUID, declaration_id: uuid.UUID
) -> t.Declaration:
    """The account's own declaration, locked, still waiting and not too old to confirm."""
    row = _own(uow, account_id, declaration_id, lock=True)
    if row.confirmed_at is not None:
        raise AlreadyConfirmed(N_("This declaration is already confirmed"))
    if env.clock.now() - row.submitted_at > CONFIRM_WITHIN:
        raise ConfirmationExpired(
            N_("This declaration waited too long for confirmation; please fill it in again")
        )
    return row


def refuse_while_green(
    uow: UnitOfWork,
    env: Env,
    resident_id: uuid.UUID,
    policy: Policy,
    message: str = N_(
        "Your pass is green and valid until {until}; you may apply again from {again}"
    ),
) -> None:
    """A new application would replace a valid green pass with a pending one; within
    ``notify_lapse_hours`` of its end it is taken, as the reminder asks then (until
    stop 30 it was refused to the end): the old pass stands while it waits, and once
    signed the new one replaces it, so the pass runs on without a black-and-white gap.
    ``message``: the refusal as its reader is addressed (an officer at a counter)."""
    if policy.model is not Model.PASS:
        return
    state = current_state(uow, env, resident_id=resident_id, policy=policy)
    ending = timedelta(hours=env.settings.notify_lapse_hours)  # told to apply again then
    if (
        state.colour is Colour.GREEN
        and state.valid_until is not None
        and state.valid_until - env.clock.now() > ending
    ):
        until = local(state.valid_until).strftime("%Y-%m-%d %H:%M")
        again = local(state.valid_until - ending).strftime("%Y-%m-%d %H:%M")
        raise PassStillValid(message, until=until, again=again)


def _submission(uow: UnitOfWork, env: Env, row: t.Declaration) -> Submission:
    return Submission(DeclarationDetail.of(row), identity_of(uow, env, row))


def _own(
    uow: UnitOfWork, account_id: uuid.UUID, declaration_id: uuid.UUID, *, lock: bool
) -> t.Declaration:
    row = uow.declarations.of_account(account_id, declaration_id, lock=lock)
    if row is None:
        raise NotFound(N_("No such declaration"))
    return row
