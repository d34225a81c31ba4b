"""Scan and release at a venue: verify a code, record it, tell the operator what to do.

One scan is one verification and one record (``scans``): the colour or the refusal
reason, the masked name and the pass's end as the code showed them, the token's
fingerprint (never its text) and, when the code names one of our residents, who. The
answer carries what the operator does next (``domain/checkpoint.py``: release after
the temperature check, stop with the policy's next step, or refused) and any
anti-fraud flags (a flagged scan opens, or adds to, the resident's fraud case:
``services/fraud``). A release is one more tap on the same record, with the temperature.

The ID-card lane (no smartphone) is ``lookups.py``; offline uploads ``uploads.py``.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from healthcode.domain.checkpoint import (
    VERDICT_MESSAGES,
    Decision,
    Flag,
    FlagRule,
    Outcome,
    Place,
    Sighting,
    Verdict,
    as_it_stands,
    decide,
    decide_foreign,
    fraud_flags,
    is_fever,
    on_screen_code,
    release_headline,
)
from healthcode.domain.clock import day_of
from healthcode.domain.colour import Colour
from healthcode.domain.errors import FieldError, InvalidInput, NotFound
from healthcode.domain.fraud import causes_of_flags
from healthcode.domain.i18n import N_
from healthcode.domain.policy import LocalText, Policy
from healthcode.domain.tokens import AttestationClaims, CodeClaims, Purpose, Refusal, Verification
from healthcode.domain.tokens.attestation import decode_presentation, presentation_message
from healthcode.domain.tokens.foreign import ForeignVerification, plain_claims
from healthcode.domain.tokens.refusal import VALID_MESSAGE
from healthcode.services.accounts.permissions import Principal
from healthcode.services.accounts.sessions import Caller
from healthcode.services.codes.health_codes import colour_now, verify_scanned
from healthcode.services.codes.online import resident_of
from healthcode.services.fraud import cases
from healthcode.services.scanning.venues import (
    VenueKind,
    open_gate,
    signed_in_gate,
    venue_row_revoked,
)
from healthcode.services.shared import lists
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import GateVenue, NearProbe, Sighted, UnitOfWork

CLOCK_SKEW = timedelta(minutes=5)  # a scanner's clock may run this far ahead
# Codes shown live on a screen, which a second venue should not see: a display token
# (a minute) and a phone's presentation (its window). A relayed presentation is the
# screenshot passed on; until stop 43 only display tokens were flagged so (an outside
# probe).
ON_SCREEN = frozenset({Purpose.DISPLAY, Purpose.DEVICE})


class Lane(StrEnum):
    CAMERA = "camera"  # a code read by the scanner (camera or keyboard-wedge reader)
    ID_CARD = "id_card"  # an ID number typed or read from the card (no smartphone)
    SELF_CHECK_IN = "self_check_in"  # a resident scanned the venue's code
    OFFLINE_UPLOAD = "offline_upload"  # recorded by an offline scanner, uploaded later


@dataclass(frozen=True)
class ForeignCode:
    """Another region's code as scanned: the region, and the claims as it sent them
    (text keys, byte strings as h'hex'; None when the signature did not verify)."""

    region_code: str
    region_name: str
    claims: Mapping[str, Any] | None


@dataclass(frozen=True)
class ScanResult:
    """What the operator's screen shows for one scan (a frozen result, not the row)."""

    id: uuid.UUID
    venue_id: uuid.UUID
    lane: Lane
    scanned_at: datetime
    recorded_at: datetime
    decision: Decision
    verdict: str | None  # a refusal reason code
    message: str  # English message id: "Valid code." or why it was refused
    colour: Colour | None
    policy_id: str | None
    masked_name: str | None
    valid_until: datetime | None  # the pass's end, if the code shows a pass
    action: LocalText | None  # the policy's words for the operator; None: generic
    headline: LocalText | None  # the policy's headline for the decision; None: generic
    flags: tuple[Mapping[str, object], ...]
    temperature: float | None
    released_at: datetime | None
    has_resident: bool
    duplicate: bool = False  # a client id seen before: this is the earlier record
    foreign: ForeignCode | None = None  # another region's code

    @property
    def releasable(self) -> bool:
        return self.decision is Decision.RELEASE and self.released_at is None


def fingerprint(verification: Verification | ForeignVerification, token: str) -> bytes | None:
    """The token's identity on the record and for the flags: what identifies the signed
    token, never its text or a hash of it (docs/keys.md), so that the same code deflated
    at another zlib level is the same token: our display token's or paper pass's id
    (``cti``); a phone's presentation, what its device signed (the attestation and the
    second it was made: a screenshot relayed is the same presentation, and ECDSA's
    second signature (r, n - s) of it is too); another region's code, what its
    signature covers (``ForeignVerification.signed``). None when no signature verified:
    an unsigned text names no token. Until stop 43 it was SHA-256 of the text, and a
    code re-compressed dodged ``same_token_elsewhere`` (an outside probe)."""
    if isinstance(verification, ForeignVerification):
        return None if verification.signed is None else _mark(b"signed", verification.signed)
    claims = verification.claims
    if isinstance(claims, CodeClaims):
        return _mark(b"cti", claims.token_id)
    if isinstance(claims, AttestationClaims):
        shown = decode_presentation(token)  # it verified: it decodes
        return _mark(b"presented", presentation_message(shown.attestation, shown.at))
    return None


def _mark(kind: bytes, identity: bytes) -> bytes:
    return hashlib.sha256(kind + b":" + identity).digest()


# --- one scan -----------------------------------------------------------------------


def scan_code(
    uow: UnitOfWork,
    env: Env,
    who: Principal | Caller,
    *,
    venue_id: uuid.UUID,
    token: str,
    client_id: str | None = None,
    scanned_at: datetime | None = None,
    client: str = "",
) -> ScanResult:
    """An operator scans a code at its venue: verified now, recorded, answered. The
    revocation list, the flags' scans at other venues, for another region's code the
    federated regions' revisions, and for a ``Caller`` its session are asked with the
    venue (up to four round trips fewer): the code is verified first, with the regions
    as last parsed; the list's answer is its last check (``_refusal``), and a code
    verified with regions that have changed since is verified again with the stored
    ones. Nothing of a resident's is shown and nothing written before the caller is
    checked (verifying reads only the key ring and the federated regions, if at all).
    Two gates scanning one token within the same few milliseconds each read the
    other's absence, and neither is flagged: serialising a token's scans (an advisory
    lock, tried at stop 43) cost a sixth of PostgreSQL's scan rate (docs/scanning.md)."""
    if client_id is not None:
        uow.transaction_needed()  # a retried client id is looked for under a lock
    asked = _AskedRevocation()
    regions = lists.cached_federation()
    verification = verify_scanned(uow, env, text=token, is_revoked=asked, regions=regions)
    now = env.clock.now()
    probe = _probe_of(env, verification, token, venue_id, scanned_at or now)
    foreign = not lists.is_ours(token)
    if isinstance(who, Caller):
        who, gate = signed_in_gate(
            uow, who, venue_id, asked.token_id, probe, federation=foreign, now=now
        )
    else:
        gate = venue_row_revoked(uow, who, venue_id, asked.token_id, probe, federation=foreign)
    venue, revoked, sighted, revisions, _status = open_gate(gate)
    if foreign and lists.federation_changed(uow, regions, revisions):
        verification, revoked = verify_scanned(uow, env, text=token), False
    if revoked and isinstance(verification, Verification):
        verification = replace(verification, reason=Refusal.REVOKED)
    at = check_scanned_at(env, scanned_at, now)
    if client_id and (seen := uow.scans.by_client_id(venue.id, client_id)) is not None:
        return replace(result_of(env, seen), duplicate=True)
    return record_scan(
        uow,
        env,
        venue=venue,
        operator_id=who.account_id,
        lane=Lane.CAMERA,
        reading=read_code(uow, env, venue, verification, token, resolve=False),
        client_id=client_id,
        scanned_at=at,
        sighted=sighted,
        against_now=True,
    )


def _probe_of(
    env: Env,
    verification: Verification | ForeignVerification,
    token: str,
    venue_id: uuid.UUID,
    at: datetime,
) -> NearProbe | None:
    """What ``flags_for`` will look for (``read_code`` leaves a code of ours by its
    resident's reference; another region's code is its token), so that the venue's
    query asks it. A probe that turns out not to be the one the flags need
    (``flags_for`` compares) costs a query, never a flag."""
    if isinstance(verification, ForeignVerification):
        mark = fingerprint(verification, token)
        return None if mark is None else _probe(_flag_rule(env), venue_id, at, None, mark)
    claims = verification.claims
    if not isinstance(claims, CodeClaims):
        return None
    mark = fingerprint(verification, token) if claims.purpose in ON_SCREEN else None
    return _probe(_flag_rule(env), venue_id, at, claims.resident_ref, mark)


def _probe(
    rule: FlagRule, here: uuid.UUID, at: datetime, resident_ref: str | None, mark: bytes | None
) -> NearProbe:
    return NearProbe(resident_ref, mark, at - rule.window, at + rule.window, here, at)


def _flag_rule(env: Env) -> FlagRule:
    return FlagRule(
        window=timedelta(minutes=env.settings.scan_flag_minutes),
        distance_km=env.settings.scan_flag_km,
    )


class _AskedRevocation:
    """An ``is_revoked`` that answers "not yet" and keeps the token id it was asked
    about, for the caller to ask the list in a query it makes anyway."""

    token_id: bytes | None = None

    def __call__(self, token_id: bytes) -> bool:
        self.token_id = token_id
        return False


def check_scanned_at(env: Env, scanned_at: datetime | None, now: datetime) -> datetime:
    if scanned_at is None:
        return now
    problem = scanned_at_error(env, scanned_at, now)
    if problem is not None:
        raise InvalidInput(problem)
    return scanned_at


def scanned_at_error(env: Env, scanned_at: datetime, now: datetime) -> FieldError | None:
    """Why a scan time given by a scanner is not taken (None: it is): one rule for a
    scan sent at once and for an offline scanner's upload."""
    if scanned_at > now + CLOCK_SKEW:
        return FieldError(
            "scanned_at", "future", N_("The scan time is in the future: check the scanner's clock")
        )
    if scanned_at < now - timedelta(days=env.settings.scan_upload_days):
        return FieldError(
            "scanned_at",
            "too_old",
            N_("Scans older than {days} days are not accepted"),
            {"days": env.settings.scan_upload_days},
        )
    return None


@dataclass(frozen=True)
class Reading:
    """What was read at the gate, from a code or from the ID-card lane's look-up."""

    outcome: Outcome
    colour: Colour | None = None
    policy: Policy | None = None
    masked_name: str | None = None
    valid_until: datetime | None = None
    purpose: Purpose | None = None
    fingerprint: bytes | None = None
    resident_id: uuid.UUID | None = None
    foreign: ForeignCode | None = None
    foreign_on_screen: bool = False  # another region's code as short-lived as ours
    # A genuine token's resident reference, not looked up yet: the flags' query
    # (``flags_for``) resolves it in the same round trip.
    resident_ref: str | None = None

    @property
    def on_screen(self) -> bool:
        """A short-lived on-screen code, which a second venue should not see."""
        return self.purpose in ON_SCREEN or self.foreign_on_screen


def read_code(
    uow: UnitOfWork,
    env: Env,
    venue: GateVenue,
    verification: Verification | ForeignVerification,
    token: str,
    *,
    resident_id: uuid.UUID | None = None,
    resolve: bool = True,
) -> Reading:
    """A verified code as the gate reads it: the decision, and whose it is (without
    ``resolve``, a token's reference is left for ``record_scan`` to resolve)."""
    if isinstance(verification, ForeignVerification):
        return read_foreign(venue, verification, token)
    claims = verification.claims
    policy = policy_of(env, claims.policy if claims else None)
    ref = None
    if resident_id is None and claims is not None:
        if resolve or isinstance(claims, AttestationClaims):
            resident_id = resident_of(uow, env, claims)
        else:
            ref = claims.resident_ref
    return Reading(
        outcome=decide(verification, policy, gate_mode=venue.gate_mode),
        colour=claims.colour if claims else None,
        policy=policy,
        masked_name=claims.masked_name if claims else None,
        valid_until=claims.pass_valid_until if claims else None,
        purpose=claims.purpose if claims else None,
        fingerprint=fingerprint(verification, token),
        resident_id=resident_id,
        resident_ref=ref,
    )


def read_foreign(venue: GateVenue, verification: ForeignVerification, token: str) -> Reading:
    """Another region's code: its colour as its region entry reads it, no policy or
    resident of ours, and its claims kept as sent (docs/federation.md)."""
    region, claims = verification.region, verification.claims
    return Reading(
        outcome=decide_foreign(verification, gate_mode=venue.gate_mode),
        colour=verification.colour,
        fingerprint=fingerprint(verification, token),
        foreign=ForeignCode(
            region.code, region.name, None if claims is None else plain_claims(claims)
        ),
        foreign_on_screen=on_screen_code(verification.lifetime_seconds),
    )


def record_scan(
    uow: UnitOfWork,
    env: Env,
    *,
    venue: GateVenue,
    operator_id: uuid.UUID | None,
    lane: Lane,
    reading: Reading,
    client_id: str | None,
    scanned_at: datetime,
    released: bool = False,
    temperature: float | None = None,
    sighted: Sighted | None = None,
    against_now: bool = False,
) -> ScanResult:
    """Record one scan (for every lane) with its decision and flags. With
    ``client_id``, nothing is recorded if the venue has it already: the answer is the
    earlier record (``duplicate``). ``released``: the scanner let a valid green code
    through at ``scanned_at`` (an offline upload), unless ``temperature`` is a fever.
    ``sighted``: what a probe asked already found (``flags_for``). ``against_now``: a
    code scanned online is also held against its code's colour now (``as_it_stands``)."""
    here_too = lane is not Lane.SELF_CHECK_IN  # a resident's own check-in: not a guard's
    flags, resident_id = flags_for(uow, env, venue, scanned_at, reading, sighted, here_too=here_too)
    if here_too and resident_id is not None and venue.kind == VenueKind.EMPLOYER_GATE:
        flags += _checkin_flag(uow, venue, resident_id, scanned_at)
    if against_now and resident_id is not None:
        reading = _as_it_stands(uow, env, reading, resident_id)
    outcome = reading.outcome
    row = t.Scan(
        id=uuid.uuid4(),
        venue_id=venue.id,
        operator_id=operator_id,
        lane=lane.value,
        client_id=client_id,
        scanned_at=scanned_at,
        recorded_at=env.clock.now(),
        verdict=outcome.verdict,
        colour=reading.colour.value if reading.colour else None,
        policy_id=reading.policy.id if reading.policy else None,
        masked_name=reading.masked_name,
        valid_until=reading.valid_until,
        token_fingerprint=reading.fingerprint,
        resident_id=resident_id,
        temperature=temperature,
        flags=flags,
    )
    if reading.foreign is not None:
        row.region_code, row.region_name = reading.foreign.region_code, reading.foreign.region_name
        row.foreign_claims = (
            None if reading.foreign.claims is None else dict(reading.foreign.claims)
        )
    if released and outcome.releasable:
        if is_fever(temperature, reading.policy):
            row.verdict = Verdict.FEVER.value
        else:
            row.released_at, row.released_by = scanned_at, operator_id
    if client_id is None:
        if not causes_of_flags(row.flags):
            uow.write_once()  # the scan is all it writes: one statement will do
        uow.scans.record(row)
    elif not uow.scans.record_once(row):
        seen = uow.scans.by_client_id(venue.id, client_id)
        assert seen is not None
        return replace(result_of(env, seen), duplicate=True)
    if causes_of_flags(row.flags):  # evidence of the resident's fraud case (not a hint)
        cases.open_from_flags(uow, env, scan=row)
    return result_of(env, row)


def _checkin_flag(
    uow: UnitOfWork, venue: GateVenue, resident_id: uuid.UUID, at: datetime
) -> list[object]:
    """At an employer's gate, a hint when the person's check-in that counts today
    there was flagged: the board keeps them from work, and the guard should know.
    Until stop 44 the gate released them as green, unaware (an outside probe)."""
    found = uow.checkins.latest_of_resident(venue.organisation_id, resident_id, day_of(at))
    if found is None or not found.flagged:
        return []
    return [
        {
            "code": Flag.CHECKIN_FLAGGED.value,
            "venue_id": str(venue.id),
            "venue": venue.name,
            "at": found.at.isoformat(),
        }
    ]


def _as_it_stands(uow: UnitOfWork, env: Env, reading: Reading, resident_id: uuid.UUID) -> Reading:
    """The reading refused by the colour the code has now where that is stricter than
    the colour the code shows (``checkpoint.as_it_stands``)."""
    shown, policy = reading.colour, reading.policy
    if shown is None or policy is None:
        return reading
    now = colour_now(uow, env, resident_id=resident_id, policy=policy)
    outcome = None if now is None else as_it_stands(reading.outcome, shown, now, policy)
    return reading if outcome is None else replace(reading, outcome=outcome, colour=now)


def flags_for(
    uow: UnitOfWork,
    env: Env,
    venue: GateVenue,
    at: datetime,
    reading: Reading,
    sighted: Sighted | None = None,
    *,
    here_too: bool = True,
) -> tuple[list[object], uuid.UUID | None]:
    """Scans of the same on-screen token or the same resident near in time, at other
    venues and (``here_too``: a guard's scan) earlier at this one, as
    ``domain/checkpoint.py`` flags them; and whose code it is (a reference
    left by ``read_code`` is resolved by the same query, or was by the probe that
    found ``sighted``). Another region's code names no resident of ours: its token
    (any lifetime) stands for its holder."""
    mark, resident_id = reading.fingerprint, reading.resident_id
    by_token = reading.on_screen or reading.foreign is not None
    rule = _flag_rule(env)
    fingerprint = mark if by_token else None
    if resident_id is None and (reading.resident_ref or fingerprint) is not None:
        probe = _probe(rule, venue.id, at, reading.resident_ref, fingerprint)
        if sighted is None or sighted.probe != probe:
            sighted = uow.scans.near_in_time_by_ref(probe)
        resident_id, near = sighted.resident_id, sighted.near
    else:
        near = uow.scans.near_in_time(
            fingerprint=fingerprint, resident_id=resident_id,
            since=at - rule.window, until=at + rule.window, here=venue.id, at=at,
        )  # fmt: skip
    sightings = [
        Sighting(
            place=Place(
                scan.venue_id, scan.venue_name, scan.region_code, scan.latitude, scan.longitude
            ),
            at=scan.scanned_at,
            same_token=mark is not None and scan.token_fingerprint == mark,
            same_resident=resident_id is not None and scan.resident_id == resident_id,
        )
        for scan in near
    ]
    flags = fraud_flags(place_of(venue), at, reading.on_screen, sightings, rule, here_too=here_too)
    return list(flags), resident_id


def place_of(venue: GateVenue) -> Place:
    return Place(venue.id, venue.name, venue.region_code, venue.latitude, venue.longitude)


# --- reading a scan back (release and "not the holder": releases.py) ---------------


def show_scan(uow: UnitOfWork, env: Env, who: Principal, *, scan_id: uuid.UUID) -> ScanResult:
    return result_of(env, scan_in_reach(uow, who, scan_id))


def scan_in_reach(
    uow: UnitOfWork, who: Principal, scan_id: uuid.UUID, *, lock: bool = False, act: bool = False
) -> t.Scan:
    """The scan, when the caller operates or administers its venue (else not found);
    ``act``: to act on it at the gate (a release), refused while the venue's
    organisation is suspended (``venues.open_gate``)."""
    row = uow.scans.by_id(scan_id, lock=lock)
    if row is None:
        raise NotFound(N_("No such scan"))
    try:
        gate = venue_row_revoked(uow, who, row.venue_id, None)
    except NotFound:
        raise NotFound(N_("No such scan")) from None
    if act:
        open_gate(gate)
    return row


def policy_of(env: Env, policy_id: str | None) -> Policy | None:
    return env.policies.get(policy_id) if policy_id else None


def outcome_of(env: Env, row: t.Scan) -> Outcome:
    """The decision a recorded scan stands for: its verdict, else its colour. The
    policy's words go with a colour (also a gate's refusal of it) and with a fever;
    a code refused as such gets the generic words (it says nothing reliable)."""
    policy = policy_of(env, row.policy_id)
    words = policy.checkpoint if policy else None
    colour = Colour(row.colour) if row.colour else None
    action = words.action(colour) if words and colour is not None else None
    if row.verdict == Verdict.FEVER:
        return Outcome(Decision.REFUSED, row.verdict, words.fever if words else None)
    if row.verdict is None and colour is None and row.region_code is not None:
        return Outcome(Decision.STOP, None, None)  # genuine, its colour not read: stop
    if row.verdict is not None or colour is None:
        kept = action if row.verdict in (Verdict.GATE_MODE, Verdict.COLOUR_CHANGED) else None
        return Outcome(Decision.REFUSED, row.verdict, kept)
    if colour is Colour.GREEN:
        return Outcome(Decision.RELEASE, None, action, release_headline(policy))
    return Outcome(Decision.STOP, None, action)


def result_of(env: Env, row: t.Scan) -> ScanResult:
    outcome = outcome_of(env, row)
    return ScanResult(
        id=row.id,
        venue_id=row.venue_id,
        lane=Lane(row.lane),
        scanned_at=row.scanned_at,
        recorded_at=row.recorded_at,
        decision=outcome.decision,
        verdict=outcome.verdict,
        message=message_of(outcome.verdict),
        colour=Colour(row.colour) if row.colour else None,
        policy_id=row.policy_id,
        masked_name=row.masked_name,
        valid_until=row.valid_until,
        action=outcome.action,
        headline=outcome.headline,
        flags=tuple(f for f in row.flags if isinstance(f, Mapping)),
        temperature=row.temperature,
        released_at=row.released_at,
        has_resident=row.resident_id is not None,
        foreign=None
        if row.region_code is None
        else ForeignCode(row.region_code, row.region_name or "", row.foreign_claims),
    )


def message_of(verdict: str | None) -> str:
    if verdict is None:
        return VALID_MESSAGE
    if verdict in VERDICT_MESSAGES:
        return VERDICT_MESSAGES[verdict]
    try:
        return Refusal(verdict).message
    except ValueError:
        return N_("The code was refused.")
