"""What a signed code says, and its compact CBOR layout.

Layout (a CWT claims map, RFC 8392), chosen to keep the QR code small:

=========  ======================================================================
key        value
=========  ======================================================================
1  iss     issuer (text), e.g. "CN-37"
4  exp     expiry, integer epoch seconds: refused from this second on (+ leeway);
           never after ``u``, as a code must not outlive the pass it shows
6  iat     issue time, integer epoch seconds; it is also the not-before time, so
           ``nbf`` (5) is not sent — as in the EU DCC; a reader honours an ``nbf``
           if one is present
7  cti     token id, 16 random bytes; paper tokens are revoked by it
-65537     our claims (a map with one-letter text keys, below). -65537 is the first
           value of the CWT "Private Use" range (RFC 8392 §9.1: below -65536); the
           EU DCC's -260 is an IANA-registered value we must not borrow.
=========  ======================================================================

Our map: ``p`` purpose (``d`` display, ``p`` paper), ``c`` colour (``g`` green,
``y`` yellow, ``r`` red, ``p`` pending), ``s`` policy id (scheme), ``v`` policy
version, ``u`` pass valid until (epoch seconds, absent if none; a verifier refuses
the code from this second on, with no leeway), ``r`` opaque
resident reference, ``n`` masked name, ``i`` masked ID number.

Readers ignore keys they do not know, so a later issuer can add optional fields;
a change that old readers must not misread gets a new text prefix instead.
Wire codes are never reused for another meaning.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from healthcode.domain.clock import aware
from healthcode.domain.colour import Colour

CLAIMS_KEY = -65537
ISS, EXP, NBF, IAT, CTI = 1, 4, 5, 6, 7
TOKEN_ID_BYTES = 16
DISPLAY_LIFETIME = timedelta(seconds=60)
_MAX_EPOCH = 253_402_300_799  # 9999-12-31T23:59:59Z, the last second datetime holds


class Purpose(StrEnum):
    """What a token may be used for; a scanner states which purposes it accepts, so
    one kind can never be replayed as another (venue or session tokens may follow)."""

    DISPLAY = "display"  # short-lived, shown on screen and refreshed every minute
    PAPER = "paper"  # long-lived, printed on a paper pass, revocable by token id
    DEVICE = "device"  # an attestation presented by the phone's own key (``CNHC2:``)


SIGNABLE_COLOURS = frozenset({Colour.PENDING, Colour.GREEN, Colour.YELLOW, Colour.RED})

_PURPOSE_WIRE = {Purpose.DISPLAY: "d", Purpose.PAPER: "p"}
_COLOUR_WIRE = {Colour.GREEN: "g", Colour.YELLOW: "y", Colour.RED: "r", Colour.PENDING: "p"}
_PURPOSE_BY_WIRE = {v: k for k, v in _PURPOSE_WIRE.items()}
_COLOUR_BY_WIRE = {v: k for k, v in _COLOUR_WIRE.items()}


def colour_to_wire(colour: Colour) -> str:
    return _COLOUR_WIRE[colour]


def colour_from_wire(wire: object) -> Colour:
    if type(wire) is not str or wire not in _COLOUR_BY_WIRE:
        raise ClaimsError("unknown colour")
    return _COLOUR_BY_WIRE[wire]


class ClaimsError(ValueError):
    """A signed payload does not follow the claim layout."""


@dataclass(frozen=True, slots=True)
class CodeClaims:
    """The content of one signed code. Times are kept to whole seconds because the
    token carries epoch seconds; construction truncates them, so a decoded token
    compares equal to the claims it was issued from."""

    issuer: str
    purpose: Purpose
    token_id: bytes
    issued_at: datetime
    expires_at: datetime
    colour: Colour
    policy: str
    policy_version: str
    pass_valid_until: datetime | None
    resident_ref: str
    masked_name: str
    masked_id: str

    def __post_init__(self) -> None:
        check_times_and_colour(self)
        if type(self.token_id) is not bytes or len(self.token_id) != TOKEN_ID_BYTES:
            raise ValueError(f"token_id must be {TOKEN_ID_BYTES} bytes")
        if type(self.purpose) is not Purpose or self.purpose not in _PURPOSE_WIRE:
            raise ValueError(f"unknown purpose {self.purpose!r}")
        if not (_filled(self.issuer) and _filled(self.policy) and _filled(self.policy_version)):
            raise ValueError("issuer, policy and policy_version must be non-empty strings")
        if not _filled(self.resident_ref):
            raise ValueError("resident_ref must be a non-empty string")
        if type(self.masked_name) is not str or type(self.masked_id) is not str:
            raise ValueError("masked_name and masked_id must be strings")


class _Signed(Protocol):
    @property
    def issued_at(self) -> datetime: ...
    @property
    def expires_at(self) -> datetime: ...
    @property
    def pass_valid_until(self) -> datetime | None: ...
    @property
    def colour(self) -> Colour: ...


def check_times_and_colour(claims: _Signed) -> None:
    """For both kinds of signed content (frozen dataclasses): times truncated to whole
    seconds (as they travel), a signable colour, an expiry after the issue time."""
    setattr_ = object.__setattr__
    setattr_(claims, "issued_at", _whole_seconds(claims.issued_at))
    setattr_(claims, "expires_at", _whole_seconds(claims.expires_at))
    if claims.pass_valid_until is not None:
        setattr_(claims, "pass_valid_until", _whole_seconds(claims.pass_valid_until))
    if type(claims.colour) is not Colour or claims.colour not in SIGNABLE_COLOURS:
        raise ValueError(f"colour {claims.colour!r} cannot be signed")
    if claims.expires_at <= claims.issued_at:
        raise ValueError("expires_at must be after issued_at")


def new_claims(
    purpose: Purpose,
    *,
    now: datetime,
    issuer: str,
    colour: Colour,
    policy: str,
    policy_version: str,
    resident_ref: str,
    masked_name: str,
    masked_id: str,
    pass_valid_until: datetime | None = None,
    lifetime: timedelta | None = None,
    token_id: bytes | None = None,
) -> CodeClaims:
    """Claims for a fresh token with a new random id, issued ``now``.

    A display token lives ``lifetime`` (default ``DISPLAY_LIFETIME``), so a
    screenshot goes stale within a minute. A paper token lives until the pass ends
    unless a lifetime is given; it is withdrawn early by revoking its token id.
    No token outlives its pass: the expiry is capped at ``pass_valid_until``.
    """
    if lifetime is not None:
        expires_at = now + lifetime
    elif purpose is Purpose.DISPLAY:
        expires_at = now + DISPLAY_LIFETIME
    elif pass_valid_until is not None:
        expires_at = pass_valid_until
    else:
        raise ValueError(f"a {purpose} token needs a lifetime or pass_valid_until")
    if pass_valid_until is not None:
        expires_at = min(expires_at, pass_valid_until)
    return CodeClaims(
        issuer=issuer,
        purpose=purpose,
        token_id=secrets.token_bytes(TOKEN_ID_BYTES) if token_id is None else token_id,
        issued_at=now,
        expires_at=expires_at,
        colour=colour,
        policy=policy,
        policy_version=policy_version,
        pass_valid_until=pass_valid_until,
        resident_ref=resident_ref,
        masked_name=masked_name,
        masked_id=masked_id,
    )


def claims_to_cbor(claims: CodeClaims) -> dict[int, Any]:
    """The CWT claims map for ``claims`` (see the module docstring)."""
    own: dict[str, Any] = {
        "p": _PURPOSE_WIRE[claims.purpose],
        "c": _COLOUR_WIRE[claims.colour],
        "s": claims.policy,
        "v": claims.policy_version,
    }
    if claims.pass_valid_until is not None:
        own["u"] = epoch(claims.pass_valid_until)
    own |= {"r": claims.resident_ref, "n": claims.masked_name, "i": claims.masked_id}
    return {
        ISS: claims.issuer,
        EXP: epoch(claims.expires_at),
        IAT: epoch(claims.issued_at),
        CTI: claims.token_id,
        CLAIMS_KEY: own,
    }


def claims_from_cbor(payload: object) -> tuple[CodeClaims, int]:
    """Parse a decoded claims map; return the claims and the not-before epoch second.

    Raises ``ClaimsError`` for anything that does not follow the layout.
    """
    try:
        return _parse(payload)
    except (KeyError, TypeError, ValueError, OverflowError, OSError) as error:
        raise ClaimsError(str(error) or type(error).__name__) from None


def _parse(payload: object) -> tuple[CodeClaims, int]:
    if type(payload) is not dict:
        raise ClaimsError("claims are not a map")
    own = payload[CLAIMS_KEY]
    if type(own) is not dict:
        raise ClaimsError("private claims are not a map")
    issued = epoch_seconds(payload[IAT])
    not_before = max(issued, epoch_seconds(payload[NBF])) if NBF in payload else issued
    until = own.get("u")
    claims = CodeClaims(
        issuer=_text(payload[ISS]),
        purpose=_PURPOSE_BY_WIRE[own["p"]],
        token_id=payload[CTI],
        issued_at=datetime.fromtimestamp(issued, UTC),
        expires_at=datetime.fromtimestamp(epoch_seconds(payload[EXP]), UTC),
        colour=_COLOUR_BY_WIRE[own["c"]],
        policy=_text(own["s"]),
        policy_version=_text(own["v"]),
        pass_valid_until=None
        if until is None
        else datetime.fromtimestamp(epoch_seconds(until), UTC),
        resident_ref=_text(own["r"]),
        masked_name=_text(own["n"]),
        masked_id=_text(own["i"]),
    )
    return claims, not_before


def epoch_seconds(value: object) -> int:
    if type(value) is not int or not 0 <= value <= _MAX_EPOCH:
        raise ClaimsError("a time is not integer epoch seconds")
    return value


def _text(value: object) -> str:
    if type(value) is not str:
        raise ClaimsError("a text claim is not text")
    return value


def _whole_seconds(at: datetime) -> datetime:
    if not isinstance(at, datetime):
        raise TypeError(f"expected a datetime, got {type(at).__name__}")
    if at.tzinfo is not UTC:  # decoded times are UTC: skip the slower check
        aware(at)
    return at.replace(microsecond=0) if at.microsecond else at


def _filled(value: object) -> bool:
    return type(value) is str and value != ""


def epoch(at: datetime) -> int:
    return int(at.timestamp())
