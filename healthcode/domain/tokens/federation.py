"""Federated trust: region entries and their keys, as the signed trust list carries them.

A region entry names a region (GB/T 2260 code), the token prefixes its codes carry
and, for a foreign region, where its colour is. Its keys are Ed25519 JWKs or X.509
document-signer certificates (ECDSA P-256 or RSA, as the EU DCC federation uses), each
with the window in which it may have signed. The formats are in docs/keys.md and
docs/federation.md; checking a foreign code is ``foreign.py``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from healthcode.domain.colour import Colour

ALG_EDDSA, ALG_ED25519, ALG_ES256, ALG_PS256 = -8, -19, -7, -37
_MAX_EPOCH = 253_402_300_799
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_REGION_CODE = re.compile(r"[1-9]\d{5}")  # GB/T 2260: six digits
_PREFIX = re.compile(r"[A-Z0-9]{2,8}:")  # QR alphanumeric, ends with a colon
_MAX_KID_BYTES = 32
MAX_PREFIXES = 8
MAX_REGION_KEYS = 200  # a province's document signers, with room for rotations

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey


class FederationError(ValueError):
    """A region entry or key that is not valid; the message says where."""


@dataclass(frozen=True, slots=True)
class ColourRule:
    """Where a foreign code's colour is: a path of keys into its claims map, and what
    each value found there means. A value not in ``values`` is no colour."""

    path: tuple[int | str, ...]
    values: Mapping[Any, Colour]

    def read(self, claims: object) -> Colour | None:
        node = claims
        for step in self.path:
            if not isinstance(node, dict) or step not in node:
                return None
            node = node[step]
        if isinstance(node, bool):  # a boolean is not an integer: false is not "0"
            return None
        try:
            return self.values.get(node)
        except TypeError:  # an unhashable value (a map, a list)
            return None


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    prefixes: tuple[str, ...]
    colour: ColourRule | None = None


@dataclass(frozen=True, slots=True)
class RegionKey:
    """A key a region signs codes with, and the algorithms it may sign with."""

    kid: bytes
    region: str
    public_key: PublicKey = field(compare=False, repr=False)
    algorithms: frozenset[int]
    not_before: int | None
    not_after: int | None
    retired_at: int | None
    document: Mapping[str, Any] = field(compare=False, repr=False)  # as published

    def retired(self, now: int) -> bool:
        return self.retired_at is not None and now >= self.retired_at

    def signed_in_window(self, issued_at: int) -> bool:
        return (self.not_before is None or self.not_before <= issued_at) and (
            self.not_after is None or issued_at <= self.not_after
        )


def region_from_json(entry: object, where: str = "region") -> Region:
    if not isinstance(entry, dict):
        raise FederationError(f"{where}: must be an object")
    code, name, prefixes = entry.get("code"), entry.get("name"), entry.get("prefixes")
    if not isinstance(code, str) or not _REGION_CODE.fullmatch(code):
        raise FederationError(f"{where}.code: must be a six-digit GB/T 2260 region code")
    if not isinstance(name, str) or not 0 < len(name) <= 100:
        raise FederationError(f"{where}.name: must be a text of 1 to 100 characters")
    if not isinstance(prefixes, list) or not 0 < len(prefixes) <= MAX_PREFIXES:
        raise FederationError(f"{where}.prefixes: must be a list of 1 to {MAX_PREFIXES}")
    for index, prefix in enumerate(prefixes):
        if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
            raise FederationError(f"{where}.prefixes[{index}]: must be like CNHB1:")
    colour = entry.get("colour")
    rule = None if colour is None else _colour_rule(colour, f"{where}.colour")
    return Region(code, name, tuple(prefixes), rule)


def region_to_json(region: Region) -> dict[str, Any]:
    colour = None
    if region.colour is not None:
        colour = {
            "claim": list(region.colour.path),
            "values": {str(k): v.value for k, v in region.colour.values.items()},
        }
    return {
        "code": region.code,
        "name": region.name,
        "prefixes": list(region.prefixes),
        "colour": colour,
    }


def _colour_rule(colour: object, where: str) -> ColourRule:
    """``{"claim": [-260, 1, "c"], "values": {"g": "green", "1": "yellow"}}``: a value
    key of digits matches the integer as well as the text, as JSON keys are text."""
    if not isinstance(colour, dict) or set(colour) != {"claim", "values"}:
        raise FederationError(f"{where}: must be {{'claim': [...], 'values': {{...}}}}")
    path, values = colour["claim"], colour["values"]
    if not isinstance(path, list) or not path or not all(type(s) in (int, str) for s in path):
        raise FederationError(f"{where}.claim: must be a non-empty list of keys")
    if not isinstance(values, dict) or not values:
        raise FederationError(f"{where}.values: must map claim values to colours")
    mapping: dict[Any, Colour] = {}
    for wire, name in values.items():
        if name not in ("green", "yellow", "red"):
            raise FederationError(f"{where}.values.{wire}: must be green, yellow or red")
        mapping[wire] = Colour(name)
        if re.fullmatch(r"-?\d{1,9}", wire):
            mapping[int(wire)] = Colour(name)
    return ColourRule(tuple(path), mapping)


def key_from_json(jwk: object, where: str = "key") -> RegionKey:
    """A KEY of the signed trust list: an Ed25519 JWK or an ``x5c`` certificate."""
    if not isinstance(jwk, dict):
        raise FederationError(f"{where}: must be an object")
    if "d" in jwk:
        raise FederationError(f"{where}: private key material in a trust list")
    region = jwk.get("region")
    if not isinstance(region, str) or not _REGION_CODE.fullmatch(region):
        raise FederationError(f"{where}.region: must be a six-digit region code")
    if "x5c" in jwk:
        return _certificate_key(jwk, region, where)
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise FederationError(f"{where}: must be an Ed25519 JWK (kty OKP) or carry x5c")
    raw = _unb64url(jwk.get("x"), f"{where}.x")
    try:
        public = ed25519.Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise FederationError(f"{where}.x: not an Ed25519 public key") from None
    return RegionKey(
        kid=_kid(jwk.get("kid"), where),
        region=region,
        public_key=public,
        algorithms=frozenset({ALG_EDDSA, ALG_ED25519}),
        not_before=_optional_epoch(jwk, "nbf", where),
        not_after=_optional_epoch(jwk, "exp", where),
        retired_at=_optional_epoch(jwk, "retired", where),
        document=dict(jwk),
    )


def _certificate_key(jwk: dict[str, Any], region: str, where: str) -> RegionKey:
    chain = jwk["x5c"]
    if not isinstance(chain, list) or len(chain) != 1 or not isinstance(chain[0], str):
        raise FederationError(f"{where}.x5c: must hold exactly one base64 DER certificate")
    try:
        der = base64.b64decode(chain[0], validate=True)
        certificate = x509.load_der_x509_certificate(der)
    except (binascii.Error, ValueError):
        raise FederationError(f"{where}.x5c[0]: not a DER X.509 certificate") from None
    public = certificate.public_key()
    if isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP256R1):
        algorithms = frozenset({ALG_ES256})
    elif isinstance(public, rsa.RSAPublicKey) and public.key_size >= 2048:
        algorithms = frozenset({ALG_PS256})
    else:
        raise FederationError(f"{where}.x5c[0]: key must be ECDSA P-256 or RSA of 2048+ bits")
    kid = _kid(jwk["kid"], where) if "kid" in jwk else certificate_kid(der)
    return RegionKey(
        kid=kid,
        region=region,
        public_key=public,
        algorithms=algorithms,
        not_before=int(certificate.not_valid_before_utc.timestamp()),
        not_after=int(certificate.not_valid_after_utc.timestamp()),
        retired_at=_optional_epoch(jwk, "retired", where),
        document=dict(jwk),
    )


def certificate_kid(der: bytes) -> bytes:
    """The EU DCC's key id for a certificate: the first 8 bytes of SHA-256 of its DER."""
    return hashlib.sha256(der).digest()[:8]


def certificate_entry(der: bytes, region: str, kid: bytes | None = None) -> dict[str, Any]:
    """The trust-list KEY for a DER certificate."""
    return {
        "kid": b64url(certificate_kid(der) if kid is None else kid),
        "region": region,
        "x5c": [base64.b64encode(der).decode("ascii")],
    }


def _kid(value: object, where: str) -> bytes:
    kid = _unb64url(value, f"{where}.kid")
    if not 0 < len(kid) <= _MAX_KID_BYTES:
        raise FederationError(f"{where}.kid: must be 1 to {_MAX_KID_BYTES} bytes")
    return kid


def _optional_epoch(jwk: dict[str, Any], name: str, where: str) -> int | None:
    if name not in jwk:
        return None
    value = jwk[name]
    if type(value) is not int or not 0 <= value <= _MAX_EPOCH:
        raise FederationError(f"{where}.{name}: must be integer epoch seconds")
    return value


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(value: object, where: str) -> bytes:
    if not isinstance(value, str) or not _BASE64URL.fullmatch(value) or len(value) % 4 == 1:
        raise FederationError(f"{where}: must be unpadded base64url")
    data = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    if b64url(data) != value:
        raise FederationError(f"{where}: non-canonical base64url")
    return data
