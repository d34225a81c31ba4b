"""Declare → pledge → second confirmation → code (seed 003's manual; seed 000 §二.二).

The declaration is submitted with the pledge; it becomes a fact only when the
resident confirms it a second time, and the code is computed at that moment. Under
a pass policy the confirmed declaration is the application, and the code is the
pending black-and-white one until an issuer signs it.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from healthcode.domain.clock import day_of
from healthcode.domain.colour import Colour
from healthcode.domain.errors import Conflict, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.identity import mask_name
from healthcode.domain.policy import Model, Policy
from healthcode.domain.state import State
from healthcode.services.env import Env
from healthcode.services.inputs import DeclarationInput
from healthcode.services.recolour import Cause, current_state, recolour
from healthcode.services.validation import ValidDeclaration, dump_health, validate_declaration
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

PLEDGE_VERSION = "2020-02-pledge-1"
CONFIRM_WITHIN = timedelta(hours=1)


@dataclass(frozen=True)
class Submission:
    """A declaration awaiting (or past) its second confirmation, with its resident."""

    declaration: t.Declaration
    resident: t.Resident


class IdNumberTaken(Conflict):
    code = "id_number_taken"


class AlreadyConfirmed(Conflict):
    code = "already_confirmed"


class ConfirmationExpired(Conflict):
    code = "confirmation_expired"


class PassStillValid(Conflict):
    code = "pass_still_valid"


def submit_declaration(
    uow: UnitOfWork, env: Env, *, account_id: uuid.UUID, data: DeclarationInput
) -> Submission:
    """Validate and keep a pledged declaration, awaiting the second confirmation."""
    policy = env.policy(data.policy)
    now = env.clock.now()
    valid = validate_declaration(data, policy, day_of(now))
    account = uow.accounts.by_id(account_id)
    if account is None:
        raise NotFound(N_("No such account"))
    resident = _resident_for(uow, env, account, valid)
    row = t.Declaration(
        resident_id=resident.id,
        policy_id=policy.id,
        policy_version=policy.version,
        submitted_at=now,
        temperature=data.temperature,
        **dump_health(data),
        residence_since=data.residence_since,
        destination=data.destination or None,
        destination_detail=data.destination_detail,
        purpose=data.purpose.value if data.purpose else None,
        employer=data.employer,
        pledge=PLEDGE_VERSION,
    )
    uow.add(row)
    uow.flush()
    return Submission(row, resident)


def submission(
    uow: UnitOfWork, *, resident_id: uuid.UUID | None, declaration_id: uuid.UUID
) -> Submission:
    """One of the resident's own declarations, to show back; another's is not found."""
    return _own(uow, resident_id, declaration_id, lock=False)


def confirm_declaration(
    uow: UnitOfWork, env: Env, *, resident_id: uuid.UUID | None, declaration_id: uuid.UUID
) -> State:
    """The second confirmation: the declaration counts from now and the code follows."""
    if resident_id is not None:  # serialise with an issuer signing the previous application
        uow.residents.lock(resident_id)
    row = _own(uow, resident_id, declaration_id, lock=True).declaration
    if row.confirmed_at is not None:
        raise AlreadyConfirmed(N_("This declaration is already confirmed"))
    now = env.clock.now()
    if now - row.submitted_at > CONFIRM_WITHIN:
        raise ConfirmationExpired(
            N_("This declaration waited too long for confirmation; please fill it in again")
        )
    policy = env.policy(row.policy_id)
    _refuse_while_green(uow, env, row.resident_id, policy)
    row.confirmed_at = now
    uow.flush()
    return recolour(uow, env, resident_id=row.resident_id, policy=policy, cause=Cause.DECLARATION)


def _refuse_while_green(uow: UnitOfWork, env: Env, resident_id: uuid.UUID, policy: Policy) -> None:
    """A new application would replace a valid green pass with a pending one."""
    if policy.model is not Model.PASS:
        return
    state = current_state(uow, env, resident_id=resident_id, policy=policy)
    if state.colour is Colour.GREEN and state.valid_until is not None:
        raise PassStillValid(
            N_("Your pass is green and valid until {until}; apply again after it expires"),
            until=state.valid_until.isoformat(),
        )


def _own(
    uow: UnitOfWork, resident_id: uuid.UUID | None, declaration_id: uuid.UUID, *, lock: bool
) -> Submission:
    row = None
    if resident_id is not None:
        row = uow.declarations.of_resident(resident_id, declaration_id, lock=lock)
    resident = uow.residents.by_id(row.resident_id) if row is not None else None
    if row is None or resident is None:
        raise NotFound(N_("No such declaration"))
    return Submission(row, resident)


def _resident_for(
    uow: UnitOfWork, env: Env, account: t.Account, valid: ValidDeclaration
) -> t.Resident:
    """The resident this account declares for: one account, one person, for good."""
    id_hash = env.protector.keyed_hash(valid.id_number.value, kind="id_number")
    if account.resident_id is not None:
        resident = uow.residents.by_id(account.resident_id)
        assert resident is not None
        if resident.id_hash != id_hash:
            raise InvalidInput.single(
                "id_number",
                "not_yours",
                N_("This is not the ID number registered with your account ({masked})"),
                masked=resident.id_masked,
            )
    else:
        found = uow.residents.by_id_hash(id_hash)
        if found is not None and uow.accounts.by_resident(found.id) is not None:
            raise IdNumberTaken(
                N_(
                    "This ID number is already registered with another phone "
                    "number; call the 12345 hotline if it is yours"
                )
            )
        resident = found or _new_resident(uow, env, valid)
        account.resident_id = resident.id
    resident.name = valid.name
    resident.name_masked = mask_name(valid.name)
    resident.region_code = valid.region.code
    resident.address = valid.data.address
    resident.nationality = valid.data.nationality
    return resident


def _new_resident(uow: UnitOfWork, env: Env, valid: ValidDeclaration) -> t.Resident:
    idn = valid.id_number
    resident = t.Resident(
        ref=secrets.token_urlsafe(12),
        name=valid.name,
        name_masked=mask_name(valid.name),
        id_hash=env.protector.keyed_hash(idn.value, kind="id_number"),
        id_cipher=env.protector.encrypt(idn.value.encode(), context="id_number"),
        id_masked=idn.masked,
        sex=idn.sex,
        birth_date=idn.birth_date,
        region_code=valid.region.code,
        created_at=env.clock.now(),
    )
    uow.add(resident)
    uow.flush()
    return resident
