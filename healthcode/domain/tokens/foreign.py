"""Checking another region's code with its own trust-list entry (docs/federation.md).

The layering is the EU DCC's: prefix + base45(zlib(COSE_Sign1)); the COSE message is
read with a general CBOR decoder (foreign issuers frame it their way: tagged or not,
kid protected or not), the key is chosen by kid among the region's keys and must
allow the message's algorithm. The claims are returned as sent, untranslated.
"""

from __future__ import annotations

import hashlib
import math
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from healthcode.domain.colour import Colour
from healthcode.domain.tokens.base45 import Base45Error, b45decode
from healthcode.domain.tokens.codec import MAX_TEXT_CHARS
from healthcode.domain.tokens.federation import (
    ALG_ES256,
    ALG_PS256,
    Region,
    RegionKey,
)
from healthcode.domain.tokens.refusal import VALID_MESSAGE, Refusal

MAX_FOREIGN_COSE_BYTES = 8192
PSS_SALT_BYTES = 32
EXP, NBF, IAT, CTI = 4, 5, 6, 7


@dataclass(frozen=True)
class ForeignVerification:
    """The outcome for a foreign code; ``layer`` names where a refused one failed."""

    region: Region
    reason: Refusal | None
    layer: str | None = None
    kid: bytes | None = None
    alg: int | None = None
    claims: Any = field(default=None, repr=False)  # the claims map as sent
    colour: Colour | None = None
    detail: str = ""
    # What identifies the signed token once its signature verified: SHA-256 of the
    # COSE Sig_structure (protected header and payload), which neither the text's
    # encoding (zlib level, base45, CBOR framing, an unprotected header) nor ECDSA's
    # second signature (r, n - s) of the same content can change.
    signed: bytes | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None

    @property
    def may_pass(self) -> bool:
        """Valid and green as its region's entry reads it (no colour read: not)."""
        return self.reason is None and self.colour is Colour.GREEN

    @property
    def message(self) -> str:
        """English message id for the checkpoint screen, as ``Verification.message``."""
        return VALID_MESSAGE if self.reason is None else self.reason.message

    @property
    def lifetime_seconds(self) -> int | None:
        """``exp`` − ``iat`` as the claims give them (None if either is missing)."""
        claims = self.claims if isinstance(self.claims, dict) else {}
        issued_at, expires_at = claims.get(IAT), claims.get(EXP)
        if type(issued_at) is not int or type(expires_at) is not int:
            return None
        return expires_at - issued_at


_INT64 = range(-(2**63), 2**63)  # the integers every JSON reader of ours holds as such


def plain_claims(value: Any) -> Any:
    """A foreign claims map as JSON: map keys as text, byte strings as h'hex' (CBOR's
    diagnostic notation), tags as {"tag", "value"}; nothing else is translated, but
    for what JSON or a database cannot hold: NaN and ±Infinity are null (JSON has
    no such number; the scanner page shows them so too), an integer beyond 64 bits
    its decimal text (as the page shows a bigint), and a NUL character in a text
    U+FFFD (PostgreSQL's jsonb refuses it: a scan was a 500, and an upload holding
    it was refused whole)."""
    if isinstance(value, dict):
        return {_text(str(k)): plain_claims(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_claims(v) for v in value]
    if isinstance(value, bytes):
        return f"h'{value.hex()}'"
    if isinstance(value, cbor2.CBORTag):
        return {"tag": value.tag, "value": plain_claims(value.value)}
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int) and not isinstance(value, bool) and value not in _INT64:
        return str(value)
    if isinstance(value, int | bool) or value is None:
        return value
    return _text(value if isinstance(value, str) else str(value))


def _text(text: str) -> str:
    return text.replace("\x00", "\ufffd")


class _Refused(Exception):
    def __init__(self, layer: str, reason: Refusal, detail: str) -> None:
        self.layer, self.reason, self.detail = layer, reason, detail


def verify_foreign(
    text: str,
    *,
    region: Region,
    keys: Mapping[bytes, RegionKey],
    at: int,
    leeway_seconds: int = 5,
    is_revoked: Callable[[bytes], bool] | None = None,
    on_layer: Callable[[str, bool, str], None] | None = None,
) -> ForeignVerification:
    """Check a foreign code at epoch second ``at``; ``on_layer(name, ok, detail)`` is
    told each layer's outcome in order (for the layered CLI report)."""
    report = on_layer or (lambda _name, _ok, _detail: None)
    state: dict[str, Any] = {}
    try:
        cose = _outer_layers(text, region, report)
        protected, payload, signature, kid, alg = _cose_layer(cose, report)
        state.update(kid=kid, alg=alg)
        key = _key_layer(keys, kid, alg, at, report)
        state["signed"] = _signature_layer(key, alg, protected, payload, signature, report)
        try:
            claims = cbor2.loads(payload)
        except Exception:
            raise _Refused("claims", Refusal.MALFORMED_CLAIMS, "payload is not CBOR") from None
        if not isinstance(claims, dict):
            raise _Refused("claims", Refusal.MALFORMED_CLAIMS, "payload is not a map")
        state["claims"] = claims
        report("claims", True, f"{len(claims)} claims")
        _validity_layer(claims, key, at, leeway_seconds, report)
        cti = claims.get(CTI)
        if is_revoked is not None and isinstance(cti, bytes) and is_revoked(cti):
            raise _Refused("revocation", Refusal.REVOKED, "token id is on the revocation list")
        report("revocation", True, "not revoked" if is_revoked else "no list for this region")
    except _Refused as refused:
        report(refused.layer, False, refused.detail)
        claims = state.get("claims")
        return ForeignVerification(
            region,
            refused.reason,
            refused.layer,
            state.get("kid"),
            state.get("alg"),
            claims,
            _colour(region, claims),
            refused.detail,
            state.get("signed"),
        )
    colour = _colour(region, claims)
    return ForeignVerification(region, None, None, kid, alg, claims, colour, signed=state["signed"])


def _colour(region: Region, claims: Any) -> Colour | None:
    return None if region.colour is None or claims is None else region.colour.read(claims)


def _outer_layers(text: str, region: Region, report: Callable[[str, bool, str], None]) -> bytes:
    text = text.strip()
    prefix = next((p for p in region.prefixes if text.startswith(p)), None)
    if prefix is None or len(text) > MAX_TEXT_CHARS:
        raise _Refused("prefix", Refusal.BAD_PREFIX, "no prefix of this region")
    report("prefix", True, f"{prefix} ({region.name}, {region.code})")
    try:
        compressed = b45decode(text[len(prefix) :])
    except Base45Error as error:
        raise _Refused("base45", Refusal.BAD_ENCODING, str(error)) from None
    report("base45", True, f"{len(compressed)} bytes")
    inflater = zlib.decompressobj()
    try:
        cose = inflater.decompress(compressed, MAX_FOREIGN_COSE_BYTES)
    except zlib.error as error:
        raise _Refused("zlib", Refusal.BAD_ENCODING, f"zlib: {error}") from None
    if not inflater.eof or inflater.unused_data or inflater.unconsumed_tail:
        raise _Refused("zlib", Refusal.BAD_ENCODING, "zlib stream truncated, long or trailed")
    report("zlib", True, f"{len(cose)} bytes")
    return cose


def _cose_layer(
    cose: bytes, report: Callable[[str, bool, str], None]
) -> tuple[bytes, bytes, bytes, bytes, int]:
    try:
        message = cbor2.loads(cose)
    except Exception:
        raise _Refused("cose", Refusal.BAD_ENCODING, "not CBOR") from None
    if isinstance(message, cbor2.CBORTag):
        if message.tag != 18:
            raise _Refused("cose", Refusal.BAD_ENCODING, f"tag {message.tag}, not COSE_Sign1")
        message = message.value
    if not isinstance(message, list | tuple) or len(message) != 4:
        raise _Refused("cose", Refusal.BAD_ENCODING, "not a COSE_Sign1 array of four")
    protected, unprotected, payload, signature = message
    if not all(isinstance(part, bytes) for part in (protected, payload, signature)):
        raise _Refused("cose", Refusal.BAD_ENCODING, "protected, payload, signature not bytes")
    try:
        headers = cbor2.loads(protected) if protected else {}
    except Exception:
        raise _Refused("cose", Refusal.BAD_ENCODING, "protected header is not CBOR") from None
    if not isinstance(headers, dict) or not isinstance(unprotected, dict):
        raise _Refused("cose", Refusal.BAD_ENCODING, "headers are not maps")
    alg = headers.get(1)
    kid = headers.get(4, unprotected.get(4))  # the EU DCC allows an unprotected kid
    if type(alg) is not int or not isinstance(kid, bytes):
        raise _Refused("cose", Refusal.BAD_ENCODING, "no protected alg or no kid")
    report("cose", True, f"COSE_Sign1, alg {alg}")
    return protected, payload, signature, kid, alg


def _key_layer(
    keys: Mapping[bytes, RegionKey],
    kid: bytes,
    alg: int,
    at: int,
    report: Callable[[str, bool, str], None],
) -> RegionKey:
    key = keys.get(kid)
    if key is None:
        raise _Refused("key", Refusal.UNKNOWN_KEY, f"kid {kid.hex()} not in the region's keys")
    if key.retired(at):
        raise _Refused("key", Refusal.KEY_RETIRED, f"kid {kid.hex()} withdrawn")
    if alg not in key.algorithms:
        raise _Refused("key", Refusal.BAD_SIGNATURE, f"alg {alg} not allowed for this key")
    report("key", True, f"kid {kid.hex()}, region {key.region}")
    return key


def _signature_layer(
    key: RegionKey,
    alg: int,
    protected: bytes,
    payload: bytes,
    signature: bytes,
    report: Callable[[str, bool, str], None],
) -> bytes:
    """SHA-256 of what the signature covers, once it verified (``signed``)."""
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", payload])
    if not signature_ok(key, alg, to_be_signed, signature):
        raise _Refused("signature", Refusal.BAD_SIGNATURE, "signature does not verify")
    report("signature", True, f"alg {alg}")
    return hashlib.sha256(to_be_signed).digest()


def signature_ok(key: RegionKey, alg: int, message: bytes, signature: bytes) -> bool:
    public = key.public_key
    try:
        if isinstance(public, ed25519.Ed25519PublicKey):
            public.verify(signature, message)
        elif isinstance(public, ec.EllipticCurvePublicKey) and alg == ALG_ES256:
            if len(signature) != 64:
                return False
            der = encode_dss_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            )
            public.verify(der, message, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public, rsa.RSAPublicKey) and alg == ALG_PS256:
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=PSS_SALT_BYTES)
            public.verify(signature, message, pss, hashes.SHA256())
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _validity_layer(
    claims: dict[Any, Any],
    key: RegionKey,
    at: int,
    leeway: int,
    report: Callable[[str, bool, str], None],
) -> None:
    issued_at, expires_at, not_before = claims.get(IAT), claims.get(EXP), claims.get(NBF)
    if type(issued_at) is not int or type(expires_at) is not int:
        raise _Refused("validity", Refusal.MALFORMED_CLAIMS, "no integer iat (6) and exp (4)")
    if not key.signed_in_window(issued_at):
        raise _Refused("validity", Refusal.KEY_RETIRED, "issued outside the key's window")
    start = not_before if type(not_before) is int else issued_at
    if at + leeway < start:
        raise _Refused("validity", Refusal.NOT_YET_VALID, f"valid from {start}")
    if at >= expires_at + leeway:
        raise _Refused("validity", Refusal.EXPIRED, f"expired at {expires_at}")
    report("validity", True, f"{start} to {expires_at}")
