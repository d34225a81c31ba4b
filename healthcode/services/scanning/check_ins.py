"""Venue self check-in (场所码): a resident opens a venue's printed code and registers
entry; their current colour is recorded as a scan with lane ``self_check_in`` and no
operator, for places without a guard (issue 12 item 7).

Rules:
* the venue is found by its public code; a closed venue takes no check-ins;
* the resident checks in with one of their codes (a policy): the colour recorded is
  that code's current colour, computed as the code page would show it, recorded by
  ``scans.record_scan`` (lane ``self_check_in``, no operator, no token) with the
  checkpoint's decision (a gate-mode venue refuses yellow and red outright) and the
  anti-fraud flags (the same resident at a distant venue within minutes);
* green may enter; any other colour (yellow, red, pending, none) is told not to enter,
  with the policy's next step — the scan is recorded all the same, for tracing;
* the same resident, venue and code within ``REPEAT_WINDOW`` (5 minutes) with the same
  colour is one record: the first one is answered again. A client id derived from the
  resident and the 5-minute slot makes two racing requests one row (unique per venue).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from healthcode.domain.checkpoint import decide_colour
from healthcode.domain.colour import Colour
from healthcode.domain.errors import Conflict, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.policy import Policy
from healthcode.domain.state import State
from healthcode.services.codes import health_codes as codes
from healthcode.services.scanning.scans import Lane, Reading, ScanResult, record_scan
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import GateVenue, UnitOfWork

REPEAT_WINDOW = timedelta(minutes=5)
_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")  # a venue's printed code (token_urlsafe)


class VenueClosed(Conflict):
    code = "venue_closed"


@dataclass(frozen=True)
class PublicVenue:
    """What a resident sees of a venue: no organisation, no operators, no scans."""

    code: str
    name: str
    address: str
    kind: str
    open: bool


@dataclass(frozen=True)
class CheckIn:
    scan_id: uuid.UUID
    venue: PublicVenue
    policy: Policy
    state: State  # the colour recorded and the policy's next step
    at: datetime  # when the entry was recorded (the first, for a repeat)
    repeated: bool  # an earlier check-in within the window answered again

    @property
    def may_enter(self) -> bool:
        return self.state.colour is Colour.GREEN


def _unknown() -> NotFound:
    return NotFound(N_("No such venue: check the code you scanned"))


def _public(row: t.Venue) -> PublicVenue:
    return PublicVenue(
        code=row.code,
        name=row.name,
        address=row.address,
        kind=row.kind,
        open=row.status == "active",
    )


def find_venue(uow: UnitOfWork, *, code: str) -> PublicVenue:
    """The venue a printed code names, for anyone who scanned it."""
    return _public(_venue_row(uow, code))


def _venue_row(uow: UnitOfWork, code: str) -> t.Venue:
    """The venue of a printed code; anything not shaped like one (a NUL in the link
    was a database error) is not found, as an unknown code is."""
    row = uow.venues.by_code(code) if _CODE.fullmatch(code) else None
    if row is None:
        raise _unknown()
    return row


def _slot(resident_id: uuid.UUID, policy: Policy, colour: Colour, at: datetime) -> str:
    """The client id of a check-in with this code and colour in the 5-minute slot of
    ``at``: one per code and colour, so a repeat is found whatever came between (a
    check-in with another code took the resident's only slot id, and every later one
    got an id of its own and was never a repeat)."""
    window = int(REPEAT_WINDOW.total_seconds())
    who = hashlib.sha256(f"{resident_id}:{policy.id}:{colour.value}".encode()).hexdigest()
    return f"checkin-{who[:32]}-{int(at.timestamp()) // window}"  # within the column's 64


def check_in(
    uow: UnitOfWork, env: Env, *, resident_id: uuid.UUID | None, code: str, policy_id: str
) -> CheckIn:
    """Record the resident's entry at the venue with their current colour, through the
    scans' own ``record_scan`` (so the anti-fraud flags see self check-ins too)."""
    row = _venue_row(uow, code)
    venue = _public(row)
    if not venue.open:
        raise VenueClosed(N_("This venue is closed and takes no check-ins"))
    policy = env.policies.find(policy_id)
    state = codes.read_code_state(uow, env, resident_id=resident_id, policy_id=policy.id)
    assert resident_id is not None  # read_code_state refuses a resident with none
    if state.colour is Colour.NONE:  # a code they do not hold (a stale or hand-made form)
        raise codes.NoCode(N_("You have no code of this kind"))
    now = env.clock.now()
    client_id = _slot(resident_id, policy, state.colour, now)
    earlier_slot = _slot(resident_id, policy, state.colour, now - REPEAT_WINDOW)
    for candidate in dict.fromkeys((client_id, earlier_slot)):
        earlier = _same(uow, row.id, candidate, policy, state, now)
        if earlier is not None:
            return CheckIn(earlier.id, venue, policy, state, earlier.scanned_at, repeated=True)
    reading = Reading(
        outcome=decide_colour(state.colour, policy, gate_mode=row.gate_mode),
        colour=state.colour,
        policy=policy,
        valid_until=state.valid_until,
        resident_id=resident_id,
    )
    gate = GateVenue.of(row)
    recorded = _record(uow, env, gate, reading, client_id, now)
    if recorded.duplicate:
        # the slot is taken: by a racing request of the same check-in (answered with
        # its row), or by another code or colour (then a row of its own)
        earlier = _same(uow, row.id, client_id, policy, state, now)
        if earlier is not None:
            return CheckIn(earlier.id, venue, policy, state, earlier.scanned_at, repeated=True)
        recorded = _record(uow, env, gate, reading, f"checkin-{uuid.uuid4().hex}", now)
    return CheckIn(recorded.id, venue, policy, state, now, repeated=False)


def _record(
    uow: UnitOfWork, env: Env, venue: GateVenue, reading: Reading, client_id: str, now: datetime
) -> ScanResult:
    return record_scan(
        uow,
        env,
        venue=venue,
        operator_id=None,
        lane=Lane.SELF_CHECK_IN,
        reading=reading,
        client_id=client_id,
        scanned_at=now,
    )


def _same(
    uow: UnitOfWork,
    venue_id: uuid.UUID,
    client_id: str,
    policy: Policy,
    state: State,
    now: datetime,
) -> t.Scan | None:
    """The check-in recorded under ``client_id`` if it is this one again."""
    earlier = uow.scans.by_client_id(venue_id, client_id)
    if (
        earlier is not None
        and earlier.policy_id == policy.id
        and earlier.colour == state.colour.value
        and timedelta(0) <= now - earlier.scanned_at <= REPEAT_WINDOW
    ):
        return earlier
    return None
