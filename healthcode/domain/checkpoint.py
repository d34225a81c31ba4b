"""What a checkpoint does with a scanned code: release, stop, or refuse; a fever at
release; and the anti-fraud flags a scan raises. Pure: the verification, the policy
and the nearby scans are arguments.

* A valid green code: release, in the policy's words (``checkpoint.release`` for the
  headline, ``checkpoint.actions.green`` for what to do: seed 000 releases a green pass
  directly, seed 003 after the health check); a temperature is optional for both.
* A valid yellow, red or pending code: stop, with the policy's next step. At a venue in
  gate mode (an employer's gate) it is refused outright (verdict ``gate_mode``).
* A code that fails verification: refused with the verifier's reason.
* Release with a temperature at or above the policy's fever line is refused (``fever``).

Flags (shown to the operator, kept on the scan record; they never decide alone):

* ``same_token_elsewhere``: the same display token (by fingerprint) was scanned at
  another venue within the window: an on-screen code lives a minute, so two venues
  mean a screenshot passed on.
* ``distant_venues``: the same resident's code was scanned at another venue within the
  window and the two venues are further apart than the configured distance; when
  either venue has no coordinates, "further apart" means in different counties
  (GB/T 2260 codes differ).
* ``same_token_here``: the same on-screen code was scanned at this venue a moment ago
  (within the window, earlier): the code shown and passed, then handed back down the
  queue (the phone, or a screenshot). ``same_person_here``: another code of the same
  resident was (a paper pass, a refreshed code). At most one of the two, the token's
  first. A hint for the guard, who decides (a re-scan after a fever re-measure is one
  too): neither opens a fraud case.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from healthcode.domain.colour import Colour
from healthcode.domain.i18n import N_
from healthcode.domain.policy import LocalText, Policy
from healthcode.domain.tokens import Refusal, Verification
from healthcode.domain.tokens.foreign import ForeignVerification

DEFAULT_FEVER_C = 37.3
FOREIGN_SCREEN_SECONDS = 600  # the longest display token (settings.display_token_seconds)


class Decision(StrEnum):
    RELEASE = "release"  # valid and green: release (the policy says how)
    STOP = "stop"  # valid but not green: stop, and the next step
    REFUSED = "refused"  # not a valid code, or refused outright (gate mode, fever)


class Verdict(StrEnum):
    """Refusals of our own, beside the verifier's (``domain/tokens/refusal.py``)."""

    GATE_MODE = "gate_mode"  # yellow or red at a gate that refuses them outright
    UNKNOWN_PERSON = "unknown_person"  # ID-card lane: no resident with this number
    NO_CODE = "no_code"  # ID-card lane: the resident holds no code
    FEVER = "fever"  # release refused: temperature at or above the fever line
    NOT_THE_HOLDER = "not_the_holder"  # the operator found the person is not the holder
    COLOUR_CHANGED = "colour_changed"  # the code's colour worsened after it was made


VERDICT_MESSAGES: Mapping[str, str] = {
    Verdict.GATE_MODE: N_("Entry refused: this gate admits green codes only."),
    Verdict.UNKNOWN_PERSON: N_("No resident with this ID number holds a code."),
    Verdict.NO_CODE: N_("This person has no health code yet."),
    Verdict.FEVER: N_("Fever: do not release."),
    Verdict.NOT_THE_HOLDER: N_("Not the holder of this code: a fraud case is open."),
    Verdict.COLOUR_CHANGED: Refusal.COLOUR_CHANGED.message,
}

# The result screen's headline when the code's policy has none (``generic_headline``).
GENERIC_HEADLINES: Mapping[Decision, str] = {
    Decision.RELEASE: N_("Pass after the temperature check"),
    Decision.STOP: N_("Stop"),
    Decision.REFUSED: N_("Do not pass"),
}
# Another region's valid green code. Its headline stands where ours show their policy's
# release words (seed 000 放行, seed 003 健康检查后放行); no policy of ours speaks for
# it, so it says what the code is, with the step its action names.
FOREIGN_RELEASE_HEADLINE = N_("Another region's code: release after the temperature check")

GENERIC_ACTIONS: Mapping[Decision, str] = {
    Decision.RELEASE: N_("Release after the temperature check."),
    Decision.STOP: N_("Stop. The holder follows the next step of their code."),
    Decision.REFUSED: N_("Do not release. Ask for a valid code or check the ID card."),
}


class Flag(StrEnum):
    SAME_TOKEN_ELSEWHERE = "same_token_elsewhere"
    DISTANT_VENUES = "distant_venues"
    SAME_TOKEN_HERE = "same_token_here"
    SAME_PERSON_HERE = "same_person_here"
    CHECKIN_FLAGGED = "checkin_flagged"  # at an employer's gate: today's check-in flagged


FLAG_MESSAGES: Mapping[str, str] = {
    Flag.SAME_TOKEN_ELSEWHERE: N_(
        "This on-screen code was also scanned at {venue} at {time}: it may be a screenshot."
    ),
    Flag.DISTANT_VENUES: N_(
        "This person's code was scanned at {venue} at {time}, too far away to be here now."
    ),
    Flag.SAME_TOKEN_HERE: N_(
        "This code was already scanned here at {time}: check that this is the holder."
    ),
    Flag.SAME_PERSON_HERE: N_(
        "This person's code was already scanned here at {time}: check that this is the holder."
    ),
    Flag.CHECKIN_FLAGGED: N_(
        "This employee's check-in at {time} today was flagged (a fever or symptoms): not "
        "to work today; they go to a fever clinic, as the employer's board says."
    ),
}


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    verdict: str | None  # a refusal reason code, or None
    action: LocalText | None  # the policy's words for the operator (None: generic)
    headline: LocalText | None = None  # the policy's headline for it (None: generic)

    @property
    def releasable(self) -> bool:
        return self.decision is Decision.RELEASE


def decide(result: Verification, policy: Policy | None, *, gate_mode: bool) -> Outcome:
    """What the operator does with the code just verified."""
    if not result.ok or result.claims is None:
        reason = result.reason.value if result.reason else None
        return Outcome(Decision.REFUSED, reason, None)
    return decide_colour(result.claims.colour, policy, gate_mode=gate_mode)


def decide_foreign(result: ForeignVerification, *, gate_mode: bool) -> Outcome:
    """The same for another region's code: no policy of ours speaks for it (generic
    words), and a genuine code whose colour its region entry does not let us read is
    stopped (the guard decides by that region's rules), or refused at a gate."""
    if not result.ok:
        reason = result.reason.value if result.reason else None
        return Outcome(Decision.REFUSED, reason, None)
    if result.colour is None:
        if gate_mode:
            return Outcome(Decision.REFUSED, Verdict.GATE_MODE.value, None)
        return Outcome(Decision.STOP, None, None)
    return decide_colour(result.colour, None, gate_mode=gate_mode)


def decide_colour(colour: Colour, policy: Policy | None, *, gate_mode: bool) -> Outcome:
    """The decision for a colour (the ID-card lane without a code: the person's
    current colour)."""
    if colour is Colour.NONE:
        return Outcome(Decision.REFUSED, Verdict.NO_CODE.value, None)
    action = policy.checkpoint.action(colour) if policy and policy.checkpoint else None
    if colour is Colour.GREEN:
        return Outcome(Decision.RELEASE, None, action, release_headline(policy))
    if gate_mode:
        return Outcome(Decision.REFUSED, Verdict.GATE_MODE.value, action)
    return Outcome(Decision.STOP, None, action)


def as_it_stands(
    outcome: Outcome, shown: Colour, now: Colour, policy: Policy | None
) -> Outcome | None:
    """A valid code of ours refused when the colour its code has ``now`` is stricter
    than the one it ``shown``, with the policy's words for the colour now: a display
    token lives a minute and a phone's attestation an hour, and a fever reported
    meanwhile must stop its holder at once; the person refreshes the code and is
    scanned again (None: the code as shown decides). Until stop 43 a code made before
    its colour worsened was released (an outside probe)."""
    valid = outcome.verdict in (None, Verdict.GATE_MODE.value)
    if not valid or not stricter_now(shown, now):
        return None
    action = policy.checkpoint.action(now) if policy and policy.checkpoint else None
    return Outcome(Decision.REFUSED, Verdict.COLOUR_CHANGED.value, action)


def stricter_now(shown: Colour, now: Colour) -> bool:
    """The colour a code has ``now`` is stricter than the one it shows (a green code
    now anything but green: pending too); a code no longer held (NONE) is not."""
    if now is Colour.NONE:
        return False
    return now.severity > shown.severity or (shown is Colour.GREEN and now is not shown)


def generic_headline(decision: Decision, *, foreign: bool) -> str:
    """The headline (a message id) for a code whose policy gives none: another
    region's code released reads as such, not as a rule of ours."""
    if foreign and decision is Decision.RELEASE:
        return FOREIGN_RELEASE_HEADLINE
    return GENERIC_HEADLINES[decision]


def release_headline(policy: Policy | None) -> LocalText | None:
    """The policy's headline for a valid green code (None: the generic one)."""
    return policy.checkpoint.release if policy and policy.checkpoint else None


def fever_line(policy: Policy | None) -> float:
    """The policy's fever threshold (``params.fever_threshold_c``), else 37.3 ℃."""
    value = policy.params.get("fever_threshold_c") if policy else None
    return float(value) if isinstance(value, int | float) else DEFAULT_FEVER_C


def is_fever(temperature: float | None, policy: Policy | None) -> bool:
    return temperature is not None and temperature >= fever_line(policy)


# --- flags ------------------------------------------------------------------------


def on_screen_code(lifetime_seconds: int | None) -> bool:
    """Another region's code counts as an on-screen code (for ``same_token_elsewhere``)
    when it lives no longer than our longest display token; a longer-lived one (a
    pass) may well be shown at two venues, and only distance flags it."""
    return lifetime_seconds is not None and 0 < lifetime_seconds <= FOREIGN_SCREEN_SECONDS


@dataclass(frozen=True)
class Place:
    venue_id: uuid.UUID
    name: str
    region_code: str
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Sighting:
    """An earlier (or later) scan of the same token or resident, here or elsewhere."""

    place: Place
    at: datetime
    same_token: bool
    same_resident: bool


@dataclass(frozen=True)
class FlagRule:
    window: timedelta  # how close in time two scans must be
    distance_km: float  # how far apart two venues must be


def distance_km(a: Place, b: Place) -> float | None:
    """Great-circle distance (haversine, mean Earth radius), or None without coordinates."""
    if a.latitude is None or a.longitude is None or b.latitude is None or b.longitude is None:
        return None
    p1, p2 = math.radians(a.latitude), math.radians(b.latitude)
    dp, dl = p2 - p1, math.radians(b.longitude - a.longitude)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def far_apart(a: Place, b: Place, rule: FlagRule) -> tuple[bool, float | None]:
    km = distance_km(a, b)
    if km is None:
        return a.region_code != b.region_code, None
    return km > rule.distance_km, km


def fraud_flags(
    here: Place,
    at: datetime,
    on_screen: bool,
    sightings: Iterable[Sighting],
    rule: FlagRule,
    *,
    here_too: bool = True,
) -> list[dict[str, object]]:
    """The flags for a scan at ``here`` at ``at``: at most one of each kind, the closest
    in time first. ``on_screen``: the code is a short-lived on-screen one (our display
    token, or another region's code that lives no longer: ``on_screen_code``), which a
    second venue should not see. ``here_too``: earlier scans at ``here`` are flagged
    as well (a guard's scan; not a resident's own check-in)."""
    flags: dict[Flag, dict[str, object]] = {}
    for seen in sorted(sightings, key=lambda s: abs((s.at - at).total_seconds())):
        if abs(seen.at - at) > rule.window:
            continue
        if seen.place.venue_id == here.venue_id:
            if here_too and seen.at <= at:
                _seen_here(flags, seen, on_screen)
            continue
        if seen.same_token and on_screen:
            flags.setdefault(Flag.SAME_TOKEN_ELSEWHERE, _flag(Flag.SAME_TOKEN_ELSEWHERE, seen))
        far, km = far_apart(here, seen.place, rule)
        if (seen.same_resident or seen.same_token) and far:
            flags.setdefault(Flag.DISTANT_VENUES, _flag(Flag.DISTANT_VENUES, seen, km))
    if Flag.SAME_TOKEN_HERE in flags:
        flags.pop(Flag.SAME_PERSON_HERE, None)
    return list(flags.values())


def _seen_here(flags: dict[Flag, dict[str, object]], seen: Sighting, on_screen: bool) -> None:
    """An earlier scan at this venue: the same on-screen code, else the same person's
    (another region's long-lived code stands for its holder)."""
    if seen.same_token and on_screen:
        flags.setdefault(Flag.SAME_TOKEN_HERE, _flag(Flag.SAME_TOKEN_HERE, seen))
    elif seen.same_resident or seen.same_token:
        flags.setdefault(Flag.SAME_PERSON_HERE, _flag(Flag.SAME_PERSON_HERE, seen))


def _flag(flag: Flag, seen: Sighting, km: float | None = None) -> dict[str, object]:
    found: dict[str, object] = {
        "code": flag.value,
        "venue_id": str(seen.place.venue_id),
        "venue": seen.place.name,
        "at": seen.at.isoformat(),
    }
    if km is not None:
        found["km"] = round(km, 1)
    return found
