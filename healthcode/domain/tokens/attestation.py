"""Device-bound codes: a colour attestation signed by us, presented by the phone.

The server signs (COSE_Sign1, the code-signing keys) an *attestation*: the colour,
the policy, the pass end, the phone's public key (P-256, compressed), a pseudonym
only our server can resolve and a salted hash of the full ID number. It lives until
the colour may change, the pass ends, or a maximum (an hour by default).

The phone shows a *presentation* every few seconds, made offline:
``CNHC2:`` + base45(zlib(CBOR ``[attestation, time, signature]``)), where
``signature`` is the device key's ECDSA P-256 / SHA-256 signature (raw r||s, as
WebCrypto makes it) over ``SHA-256(attestation) || time`` (time: 8-byte big-endian
epoch seconds). A verifier needs both signatures and a time within its window, so a
screenshot or a relayed copy is refused a minute later.

Attestation claims (a CWT map): 4 exp, 6 iat, and at -65538 our map with integer
keys, kept compact for the QR code (no ``iss``: the key id names the issuer through
the trust list, and every byte counts towards the QR version):

==  ===========================================================================
1   colour, one letter as in display tokens (g, y, r, p)
2   policy id        3  policy version        4  pass valid until (optional)
5   device public key: a compressed P-256 point (33 bytes)
6   pseudonym: opaque bytes, fresh per attestation, resolvable only by the issuer
7   salt (12 random bytes)    8  SHA-256(salt || full ID number, upper case),
    its first 16 bytes (128 bits: an exact match, and a guess costs a hash each)
9   masked name               10 masked ID number
==  ===========================================================================

No stable identifier is in either layer: two scans an hour apart share nothing
but the masked name and ID a guard sees anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cwt import COSE

from healthcode.domain.colour import Colour
from healthcode.domain.tokens.base45 import b45encode
from healthcode.domain.tokens.claims import (
    EXP,
    IAT,
    ClaimsError,
    Purpose,
    check_times_and_colour,
    colour_from_wire,
    colour_to_wire,
    epoch,
    epoch_seconds,
)
from healthcode.domain.tokens.codec import (
    TokenFormatError,
    decode_body,
    protected_header,
    read_bstr,
)
from healthcode.domain.tokens.keys import SigningKey
from healthcode.domain.tokens.refusal import Refusal

DEVICE_PREFIX = "CNHC2:"
DEVICE_CLAIMS_KEY = -65538
DEVICE_KEY_BYTES = 33
SALT_BYTES = 12
ID_HASH_BYTES = 16
DEVICE_SIGNATURE_BYTES = 64
MAX_ATTESTATION = timedelta(hours=1)
DEFAULT_WINDOW_SECONDS = 30
_COLOUR, _POLICY, _VERSION, _UNTIL, _DEVICE, _PSEUDONYM, _SALT, _ID_HASH, _NAME, _ID = range(1, 11)
_COSE = COSE.new()
# Built once: immutable, and constructing them cost ~3 µs of every presentation's check.
_P256 = ec.SECP256R1()
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_T = TypeVar("_T")


class DeviceKeyError(ValueError):
    """A device public key that is not a compressed P-256 point."""


def parse_device_key(raw: bytes) -> ec.EllipticCurvePublicKey:
    """The public key of a compressed P-256 point, or ``DeviceKeyError``."""
    if type(raw) is not bytes or len(raw) != DEVICE_KEY_BYTES or raw[0] not in (2, 3):
        raise DeviceKeyError("a device key is a compressed P-256 point of 33 bytes")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(_P256, raw)
    except ValueError:
        raise DeviceKeyError("the device key is not a point on P-256") from None


def id_hash(salt: bytes, id_number: str) -> bytes:
    """SHA-256(salt || ID number), truncated to 16 bytes; the number upper-cased."""
    return hashlib.sha256(salt + id_number.strip().upper().encode()).digest()[:ID_HASH_BYTES]


@dataclass(frozen=True, slots=True)
class AttestationClaims:
    """What an attestation says. The attribute names of ``CodeClaims`` are kept for
    what both carry, so a scanner screen shows either the same way."""

    issued_at: datetime
    expires_at: datetime
    colour: Colour
    policy: str
    policy_version: str
    pass_valid_until: datetime | None
    device_key: bytes
    pseudonym: bytes
    id_salt: bytes
    id_hash: bytes
    masked_name: str
    masked_id: str

    @property
    def purpose(self) -> Purpose:
        return Purpose.DEVICE

    def __post_init__(self) -> None:
        check_times_and_colour(self)
        device = self.device_key  # the point itself is checked where it is used
        if type(device) is not bytes or len(device) != DEVICE_KEY_BYTES or device[0] not in (2, 3):
            raise ValueError("a device key is a compressed P-256 point of 33 bytes")
        if len(self.id_salt) != SALT_BYTES or len(self.id_hash) != ID_HASH_BYTES:
            raise ValueError("the ID salt is 12 bytes and its hash 16")
        if not (self.policy and self.policy_version and self.pseudonym):
            raise ValueError("policy, policy_version and pseudonym must be set")

    def same_person(self, id_number: str) -> bool:
        """Whether ``id_number`` is exactly the one attested (not just 4+4 digits)."""
        return hmac.compare_digest(id_hash(self.id_salt, id_number), self.id_hash)


def new_attestation(
    *,
    now: datetime,
    colour: Colour,
    policy: str,
    policy_version: str,
    device_key: bytes,
    pseudonym: bytes,
    id_number: str,
    masked_name: str,
    masked_id: str,
    pass_valid_until: datetime | None,
    recheck_at: datetime | None,
    max_lifetime: timedelta = MAX_ATTESTATION,
) -> AttestationClaims:
    """Claims valid from ``now`` until the earliest of the next possible colour change
    (``recheck_at``), the pass's end and ``max_lifetime``; a fresh salt each time."""
    ends = [now + max_lifetime]
    ends += [at for at in (recheck_at, pass_valid_until) if at is not None and at > now]
    salt = secrets.token_bytes(SALT_BYTES)
    return AttestationClaims(
        issued_at=now,
        expires_at=max(min(ends), now + timedelta(seconds=1)),
        colour=colour,
        policy=policy,
        policy_version=policy_version,
        pass_valid_until=pass_valid_until,
        device_key=device_key,
        pseudonym=pseudonym,
        id_salt=salt,
        id_hash=id_hash(salt, id_number),
        masked_name=masked_name,
        masked_id=masked_id,
    )


def attestation_to_cbor(claims: AttestationClaims) -> dict[int, Any]:
    own: dict[int, Any] = {
        _COLOUR: colour_to_wire(claims.colour),
        _POLICY: claims.policy,
        _VERSION: claims.policy_version,
    }
    if claims.pass_valid_until is not None:
        own[_UNTIL] = epoch(claims.pass_valid_until)
    own |= {
        _DEVICE: claims.device_key,
        _PSEUDONYM: claims.pseudonym,
        _SALT: claims.id_salt,
        _ID_HASH: claims.id_hash,
        _NAME: claims.masked_name,
        _ID: claims.masked_id,
    }
    return {
        EXP: epoch(claims.expires_at),
        IAT: epoch(claims.issued_at),
        DEVICE_CLAIMS_KEY: own,
    }


def attestation_from_cbor(payload: object) -> AttestationClaims:
    """Parse a decoded attestation claims map, or raise ``ClaimsError``."""
    try:
        if type(payload) is not dict or type(own := payload[DEVICE_CLAIMS_KEY]) is not dict:
            raise ClaimsError("claims are not a map")
        until = own.get(_UNTIL)
        return AttestationClaims(
            issued_at=_time(payload[IAT]),
            expires_at=_time(payload[EXP]),
            colour=colour_from_wire(own[_COLOUR]),
            policy=_typed(own[_POLICY], str),
            policy_version=_typed(own[_VERSION], str),
            pass_valid_until=None if until is None else _time(until),
            device_key=_typed(own[_DEVICE], bytes),
            pseudonym=_typed(own[_PSEUDONYM], bytes),
            id_salt=_typed(own[_SALT], bytes),
            id_hash=_typed(own[_ID_HASH], bytes),
            masked_name=_typed(own[_NAME], str),
            masked_id=_typed(own[_ID], str),
        )
    except ClaimsError:
        raise
    except (KeyError, TypeError, ValueError, OverflowError, OSError) as error:
        raise ClaimsError(str(error) or type(error).__name__) from None


def sign_attestation(claims: AttestationClaims, key: SigningKey) -> bytes:
    """The COSE_Sign1 bytes of ``claims``, signed by ``key`` (Ed25519, kid protected)."""
    payload = cbor2.dumps(attestation_to_cbor(claims))
    cose = _COSE.encode_and_sign(
        payload, key.cose_key, protected=protected_header(key.kid), unprotected={}
    )
    if not isinstance(cose, bytes):
        raise TypeError("cwt returned an unexpected type")
    return cose


def presentation_message(attestation: bytes, at: int) -> bytes:
    """What the device signs: SHA-256 of the attestation, then the time (8 bytes)."""
    return hashlib.sha256(attestation).digest() + at.to_bytes(8, "big")


def encode_presentation(attestation: bytes, at: int, signature: bytes) -> str:
    """The QR text of a presentation (the page builds the same in JavaScript)."""
    body = cbor2.dumps([attestation, at, signature])
    return DEVICE_PREFIX + b45encode(zlib.compress(body, 9))


def present(attestation: bytes, at: int, device: ec.EllipticCurvePrivateKey) -> str:
    """A presentation signed by ``device`` at epoch second ``at`` (tests, tools)."""
    der = device.sign(presentation_message(attestation, at), _ECDSA_SHA256)
    r, s = decode_dss_signature(der)
    return encode_presentation(attestation, at, r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def compressed_point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)


@dataclass(frozen=True, slots=True)
class Presentation:
    attestation: bytes
    at: int
    signature: bytes


def decode_presentation(text: str) -> Presentation:
    """The parts of a presentation's text (trimmed), or ``TokenFormatError``."""
    return _split(decode_body(text, DEVICE_PREFIX))


def _split(body: bytes) -> Presentation:
    """``[bstr, uint32, bstr(64)]`` read by hand with minimal heads only, as
    ``parse_sign1`` reads the attestation: strict (one encoding) and fast."""
    if body[:1] != b"\x83":
        raise TokenFormatError(Refusal.BAD_ENCODING, "not [attestation, time, signature]")
    attestation, at = read_bstr(body, 1)
    time_head, signature_head = body[at : at + 1], body[at + 5 : at + 7]
    signature = body[at + 7 :]
    if time_head != b"\x1a" or signature_head != b"\x58\x40" or len(signature) != 64:
        raise TokenFormatError(Refusal.BAD_ENCODING, "not [attestation, time, signature]")
    seconds = int.from_bytes(body[at + 1 : at + 5], "big")
    if seconds < 0x10000:  # a shorter head would be the minimal one
        raise TokenFormatError(Refusal.BAD_ENCODING, "time not minimally encoded")
    return Presentation(attestation, seconds, signature)


def device_signature_ok(presentation: Presentation, device_key: bytes) -> bool:
    signature = presentation.signature
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        parse_device_key(device_key).verify(
            der,
            presentation_message(presentation.attestation, presentation.at),
            _ECDSA_SHA256,
        )
    except (InvalidSignature, DeviceKeyError):
        return False
    return True


def _typed(value: object, kind: type[_T]) -> _T:
    if type(value) is not kind:
        raise ClaimsError(f"expected {kind.__name__}")
    return value


def _time(value: object) -> datetime:
    return datetime.fromtimestamp(epoch_seconds(value), UTC)
