"""The ID-card lane (无智能手机通道): nobody is turned away for lack of a phone.

An operator types an ID number, or a keyboard-wedge card reader types it:

* with a code shown, the code must be this person's: a device code by the salted hash
  of the whole number it carries, a display or paper token by the visible characters
  of its masked number (the offline check) and, online, by the resident's keyed ID
  hash, so a different number sharing the first and last four characters is refused
  ``wrong_person`` too;
* without a code, the person is looked up by the keyed hash of the number, and the
  screen shows the same minimal result from their current colour (the most severe of
  the codes they hold).

Every look-up is audit-logged (``scan.id_lookup``, with the resident when found) and
limited per operator (``id_lookups_per_minute``, twice a busy gate's 30 people a minute,
so a busload is not refused); a number that does not parse is not a look-up.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from healthcode.domain.checkpoint import Verdict, decide_colour
from healthcode.domain.clock import day_of
from healthcode.domain.colour import Colour
from healthcode.domain.i18n import N_
from healthcode.domain.identity import parse_id_number
from healthcode.domain.policy import Policy
from healthcode.domain.state import State
from healthcode.services.accounts.permissions import Principal
from healthcode.services.codes.health_codes import pass_end, verify_code
from healthcode.services.codes.recolour import current_state
from healthcode.services.scanning.scans import (
    Lane,
    Reading,
    ScanResult,
    check_scanned_at,
    read_code,
    record_scan,
)
from healthcode.services.scanning.venues import scanning_venue_row
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.services.shared.ratelimit import TooManyRequests
from healthcode.store.uow import GateVenue, UnitOfWork


def check_id_card(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    venue_id: uuid.UUID,
    id_number: str,
    token: str | None = None,
    client_id: str | None = None,
    scanned_at: datetime | None = None,
    client: str = "",
) -> ScanResult:
    venue = scanning_venue_row(uow, who, venue_id)
    now = env.clock.now()
    at = check_scanned_at(env, scanned_at, now)
    card = parse_id_number(id_number, today=day_of(now), field="id_number")
    _count(env, who)  # a number mistyped (its check character fails) looks nobody up
    if token:
        reading = _with_code(uow, env, venue, token, card.value)
    else:
        id_hash = env.protector.keyed_hash(card.value, kind="id_number")
        reading = _without_code(uow, env, venue, id_hash, now)
    result = record_scan(
        uow,
        env,
        venue=venue,
        operator_id=who.account_id,
        lane=Lane.ID_CARD,
        reading=reading,
        client_id=client_id,
        scanned_at=at,
        against_now=bool(token),
    )
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action="scan.id_lookup",
        resident_id=reading.resident_id,
        detail={
            "venue_id": str(venue.id),
            "scan_id": str(result.id),
            "with_code": bool(token),
            "found": reading.resident_id is not None,
            "verdict": result.verdict,
        },
        client=client,
    )
    return result


def _count(env: Env, who: Principal) -> None:
    limit = f"{env.settings.id_lookups_per_minute}/minute"
    retry = env.limiter.hit(limit, "id-lookup", str(who.account_id))
    if retry is not None:
        raise TooManyRequests(
            N_("Too many ID look-ups; try again in {retry_after} s"), retry_after=retry
        )


def _with_code(uow: UnitOfWork, env: Env, venue: GateVenue, token: str, number: str) -> Reading:
    verification = verify_code(uow, env, text=token, id_number=number)  # the hash too
    return read_code(uow, env, venue, verification, token)


def _without_code(
    uow: UnitOfWork, env: Env, venue: GateVenue, id_hash: bytes, now: datetime
) -> Reading:
    resident = uow.residents.by_id_hash(id_hash)
    if resident is None:
        outcome = decide_colour(Colour.NONE, None, gate_mode=venue.gate_mode)
        return Reading(replace(outcome, verdict=Verdict.UNKNOWN_PERSON.value))
    policy, state = _current(uow, env, resident.id)
    colour = state.colour if state else Colour.NONE
    return Reading(
        outcome=decide_colour(colour, policy, gate_mode=venue.gate_mode),
        colour=colour if colour is not Colour.NONE else None,
        policy=policy,
        masked_name=resident.name_masked,
        valid_until=pass_end(state, now) if state else None,
        purpose=None,
        fingerprint=None,
        resident_id=resident.id,
    )


def _current(
    uow: UnitOfWork, env: Env, resident_id: uuid.UUID
) -> tuple[Policy | None, State | None]:
    """The most severe of the codes the resident holds, now."""
    found: tuple[Policy | None, State | None] = (None, None)
    for policy in env.policies.values():
        if uow.codes.of_resident(resident_id, policy.id) is None:
            continue
        state = current_state(uow, env, resident_id=resident_id, policy=policy)
        held = found[1]
        if held is None or state.colour.severity > held.colour.severity:
            found = (policy, state)
    return found
