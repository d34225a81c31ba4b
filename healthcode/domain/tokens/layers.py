"""Verifying a code layer by layer, so an operator sees where a bad code fails.

The verdict is the verifier's own (``verify_any`` for our codes, ``verify_foreign``
for another region's); the layers around it are re-read here only to say which one
failed: prefix, base45, zlib, COSE structure, key, signature, claims, validity,
revocation, and for a device code (``CNHC2:``) the device layer.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from healthcode.domain.clock import aware
from healthcode.domain.tokens.attestation import DEVICE_PREFIX, decode_presentation
from healthcode.domain.tokens.base45 import Base45Error, b45decode
from healthcode.domain.tokens.claims import Purpose
from healthcode.domain.tokens.codec import PREFIX, TokenFormatError, decode_text, parse_sign1
from healthcode.domain.tokens.federation import Region, RegionKey
from healthcode.domain.tokens.foreign import ForeignVerification, verify_foreign
from healthcode.domain.tokens.keys import VerifyingKey
from healthcode.domain.tokens.lists import TrustList
from healthcode.domain.tokens.refusal import Refusal
from healthcode.domain.tokens.trustlist import TrustStore
from healthcode.domain.tokens.verify import Verification, verify_any

LAYERS = (
    "prefix",
    "base45",
    "zlib",
    "cose",
    "key",
    "signature",
    "claims",
    "validity",
    "revocation",
)
DEVICE_LAYERS = (*LAYERS, "device")
ALL_PURPOSES = (Purpose.DISPLAY, Purpose.PAPER, Purpose.DEVICE)

_LAYER_OF = {
    Refusal.BAD_PREFIX: "prefix",
    Refusal.UNKNOWN_KEY: "key",
    Refusal.BAD_SIGNATURE: "signature",
    Refusal.MALFORMED_CLAIMS: "claims",
    Refusal.WRONG_PURPOSE: "validity",
    Refusal.NOT_YET_VALID: "validity",
    Refusal.PASS_LAPSED: "validity",
    Refusal.EXPIRED: "validity",
    Refusal.ATTESTATION_EXPIRED: "validity",
    Refusal.REVOKED: "revocation",
    Refusal.DEVICE_SIGNATURE_BAD: "device",
    Refusal.PRESENTATION_STALE: "device",
    Refusal.PRESENTATION_FROM_FUTURE: "device",
}


@dataclass(frozen=True, slots=True)
class Layer:
    name: str
    ok: bool | None  # None: not reached, because an earlier layer failed
    detail: str = ""


@dataclass(frozen=True)
class LayeredResult:
    layers: tuple[Layer, ...]
    outcome: Verification | ForeignVerification
    region: Region | None

    @property
    def reason(self) -> Refusal | None:
        return self.outcome.reason


def our_keys(trust_list: TrustList, region: Region) -> TrustStore:
    """The region's Ed25519 keys as our verifier's trust store."""
    return TrustStore(
        _verifying(key) for key in trust_list.keys_of(region.code).values() if _is_ed25519(key)
    )


def verify_layers(
    text: str,
    *,
    now: datetime,
    trust_list: TrustList | None = None,
    trust: Mapping[bytes, VerifyingKey] | None = None,
    is_revoked: Callable[[bytes], bool] | None = None,
    purposes: Collection[Purpose] = ALL_PURPOSES,
) -> LayeredResult:
    """Verify ``text`` with a signed trust list (any region) or, for our codes only,
    a mapping of our keys (``trust``, e.g. the database's)."""
    at = int(aware(now).timestamp())
    region = trust_list.region_for(text) if trust_list is not None else None
    ours = text.strip().startswith((PREFIX, DEVICE_PREFIX))
    if region is not None and trust_list is not None and not ours:
        return foreign_layers(text, region=region, keys=trust_list.keys_of(region.code), at=at)
    if trust is None:
        trust = our_keys(trust_list, region) if trust_list and region else TrustStore()
    verification = verify_any(text, trust=trust, now=now, purposes=purposes, is_revoked=is_revoked)
    device = isinstance(text, str) and text.strip().startswith(DEVICE_PREFIX)
    layers = _our_layers(text, verification, trust, at, device, is_revoked is not None)
    return LayeredResult(layers, verification, region)


def foreign_layers(
    text: str, *, region: Region, keys: Mapping[bytes, RegionKey], at: int
) -> LayeredResult:
    """Another region's code checked with its entry at epoch second ``at``, layer by
    layer (from a signed trust list, or the database's federated regions)."""
    found: list[Layer] = []
    outcome = verify_foreign(
        text,
        region=region,
        keys=keys,
        at=at,
        on_layer=lambda name, ok, detail: found.append(Layer(name, ok, detail)),
    )
    return LayeredResult(_complete(found, LAYERS), outcome, region)


def _our_layers(
    text: str,
    verification: Verification,
    trust: Mapping[bytes, VerifyingKey],
    at: int,
    device: bool,
    has_revocations: bool,
) -> tuple[Layer, ...]:
    names = DEVICE_LAYERS if device else LAYERS
    failed = _failed_layer(text, verification, trust, at, device)
    layers: list[Layer] = []
    for name in names:
        if failed is not None and names.index(name) > names.index(failed[0]):
            layers.append(Layer(name, None, "not reached"))
        elif failed is not None and name == failed[0]:
            layers.append(Layer(name, False, failed[1]))
        elif name == "revocation" and (device or not has_revocations):
            layers.append(Layer(name, True, "no revocation list" if not device else "n/a"))
        else:
            layers.append(Layer(name, True, _detail(name, verification)))
    return tuple(layers)


def _failed_layer(
    text: str,
    verification: Verification,
    trust: Mapping[bytes, VerifyingKey],
    at: int,
    device: bool,
) -> tuple[str, str] | None:
    reason = verification.reason
    if reason is None:
        return None
    if reason is Refusal.BAD_ENCODING:
        return _encoding_layer(text, device)
    if reason is Refusal.KEY_RETIRED:
        key = trust.get(verification.kid or b"")
        retired = key is not None and key.retired_at is not None
        if retired and key is not None and key.retired_at is not None:
            retired = at >= int(key.retired_at.timestamp())
        return ("key", reason.value) if retired else ("validity", "signed outside key window")
    return _LAYER_OF.get(reason, "validity"), reason.value


def _encoding_layer(text: str, device: bool) -> tuple[str, str]:
    """Which of base45, zlib and the COSE structure an unreadable code fails."""
    prefix = DEVICE_PREFIX if device else PREFIX
    body = text.strip()[len(prefix) :]
    try:
        compressed = b45decode(body)
    except Base45Error as error:
        return "base45", str(error)
    try:
        zlib.decompress(compressed)
        if device:
            parse_sign1(decode_presentation(text).attestation)
        else:
            decode_text(text)
            parse_sign1(decode_text(text))
    except zlib.error as error:
        return "zlib", str(error)
    except TokenFormatError as error:
        inflates = "zlib" in str(error) or "deflate" in str(error) or "long" in str(error)
        return ("zlib" if inflates else "cose"), str(error)
    return "cose", "bad encoding"


def _detail(name: str, verification: Verification) -> str:
    claims = verification.claims
    if name == "key" and verification.kid is not None:
        return f"kid {verification.kid.hex()}"
    if name == "validity" and claims is not None:
        return f"{claims.issued_at.isoformat()} to {claims.expires_at.isoformat()}"
    return ""


def _complete(found: list[Layer], names: tuple[str, ...]) -> tuple[Layer, ...]:
    seen = {layer.name for layer in found}
    return (*found, *(Layer(n, None, "not reached") for n in names if n not in seen))


def _is_ed25519(key: RegionKey) -> bool:
    return isinstance(key.public_key, ed25519.Ed25519PublicKey)


def _verifying(key: RegionKey) -> VerifyingKey:
    raw = key.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return VerifyingKey(
        kid=key.kid,
        public_key=raw,
        valid_from=datetime.fromtimestamp(key.not_before or 0, UTC),
        valid_until=None if key.not_after is None else datetime.fromtimestamp(key.not_after, UTC),
        retired_at=None if key.retired_at is None else datetime.fromtimestamp(key.retired_at, UTC),
    )
