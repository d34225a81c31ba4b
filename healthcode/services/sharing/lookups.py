"""Another department looks up the colour of one ID number (seed 003 §四.二).

The caller is a department client (``department_clients``: its own key, stored as a
SHA-256) holding a look-up grant (``lookup_grants``, given and revoked by an
administrator on the command line). Each look-up names its purpose; it is
rate-limited per client and audit-logged with the client and the purpose, found or
not. The answer is minimal: each code type's colour and when it was worked out — no
name, no reasons, no records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog

from healthcode.crypto import token_hash
from healthcode.domain.clock import day_of
from healthcode.domain.colour import Colour
from healthcode.domain.errors import DomainError, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.identity import parse_id_number
from healthcode.domain.reasons import visible_length
from healthcode.services.codes.recolour import current_state
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.services.shared.ratelimit import TooManyRequests
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

log = structlog.get_logger()
MIN_PURPOSE, MAX_PURPOSE = 4, 200


class UnknownClient(DomainError):
    status = 401
    code = "unknown_client"


class NoCodeFound(NotFound):
    code = "no_code"
    keeps_changes = True  # the look-up is audit-logged even when nothing is found


@dataclass(frozen=True)
class CodeColour:
    policy_id: str
    colour: Colour
    evaluated_at: datetime


@dataclass(frozen=True)
class LookupResult:
    id_masked: str
    codes: tuple[CodeColour, ...]


def key_hash(key: str) -> bytes:
    """As the department clients' keys are stored (``services/records/clients.py``)."""
    return token_hash(key)


def authenticate_client(uow: UnitOfWork, *, key: str) -> t.DepartmentClient:
    """The department client a key belongs to, if it may look up colours."""
    client = uow.colour_lookups.client_by_key_hash(key_hash(key)) if key else None
    if client is None:
        log.warning("lookup.refused.unknown_client", key_prefix=key[:6])
        raise UnknownClient(N_("Unknown client key, or not allowed to look up colours"))
    return client


def look_up_colour(
    uow: UnitOfWork, env: Env, *, key: str, id_number: str, purpose: str, address: str = ""
) -> LookupResult:
    """Each code's colour for one ID number; the look-up is logged, found or not."""
    client = authenticate_client(uow, key=key)
    wait = env.limiter.hit(env.settings.lookup_limit, "lookup", str(client.id))
    if wait is not None:
        log.warning("lookup.refused.rate_limited", client=client.name)
        raise TooManyRequests(
            N_("Too many look-ups: try again in {seconds} s"), retry_after=wait, seconds=wait
        )
    purpose = _purpose(purpose)
    card = parse_id_number(id_number, today=day_of(env.clock.now()), field="id_number")
    resident = uow.residents.by_id_hash(env.protector.keyed_hash(card.value, kind="id_number"))
    codes: list[CodeColour] = []
    if resident is not None:
        for policy in env.policies.values():
            if uow.codes.of_resident(resident.id, policy.id) is None:
                continue
            state = current_state(uow, env, resident_id=resident.id, policy=policy)
            codes.append(CodeColour(policy.id, state.colour, state.evaluated_at))
    audit.record(
        uow,
        env,
        actor_id=None,
        action="lookup.colour",
        resident_id=resident.id if resident is not None else None,
        detail={
            "client": client.name,
            "department": client.department,
            "purpose": purpose,
            "id_masked": card.masked,
            "found": bool(codes),
            "address": address,
        },
        client=client.name,
    )
    if not codes:
        raise NoCodeFound(N_("No health code for this ID number"))
    return LookupResult(card.masked, tuple(codes))


def _purpose(purpose: str) -> str:
    purpose = purpose.strip()
    if visible_length(purpose) < MIN_PURPOSE or len(purpose) > MAX_PURPOSE:
        raise InvalidInput.single(
            "purpose",
            "length",
            N_("Name the purpose of the look-up in {low} to {high} characters"),
            low=MIN_PURPOSE,
            high=MAX_PURPOSE,
        )
    return purpose


def grant_lookups(uow: UnitOfWork, env: Env, *, client_name: str, by: str = "") -> None:
    """Let a department client look up colours (again, if a grant was revoked)."""
    client = uow.department_clients.by_name(client_name)
    if client is None or client.revoked_at is not None:
        raise NotFound(N_("No such department client"))
    grant = uow.colour_lookups.grant(client.id)
    if grant is None:
        uow.add(t.LookupGrant(client_id=client.id, granted_at=env.clock.now(), granted_by=by))
    else:
        grant.granted_at, grant.granted_by, grant.revoked_at = env.clock.now(), by, None
    audit.record(
        uow, env, actor_id=None, action="lookup.granted", detail={"client": client.name, "by": by}
    )
    uow.flush()


def revoke_lookups(uow: UnitOfWork, env: Env, *, client_name: str, by: str = "") -> None:
    """Take a department client's look-up grant away; its key keeps sending records."""
    client = uow.department_clients.by_name(client_name)
    grant = uow.colour_lookups.grant(client.id) if client is not None else None
    if client is None or grant is None or grant.revoked_at is not None:
        raise NotFound(N_("This client may not look up colours"))
    grant.revoked_at = env.clock.now()
    audit.record(
        uow, env, actor_id=None, action="lookup.revoked", detail={"client": client.name, "by": by}
    )
    uow.flush()
