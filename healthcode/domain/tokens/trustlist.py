"""The trust list: which public keys a scanner accepts, as a JWK Set.

Export and import use a standard JWK Set (RFC 7517) of OKP keys (RFC 8037):
``{"kty": "OKP", "crv": "Ed25519", "x": <base64url raw public key>,
"kid": <base64url kid>, "use": "sig", "alg": "EdDSA"}`` plus three members of ours,
all integer epoch seconds (RFC 7517 §4: readers ignore members they do not know):

* ``nbf`` — the key signs tokens issued from this second (``valid_from``);
* ``exp`` — the last second it may have signed (``valid_until``); absent while it
  still signs. Tokens it signed before then stay valid;
* ``retired`` — from this second it verifies nothing (``retired_at``); absent
  unless the key was withdrawn.

Standard JOSE libraries (jwcrypto, joserfc) ignore these members, so the published
set withdraws a key by leaving it out (``KeyRing.published``): it lists the keys a
verifier should accept now and the next one announced ahead. ``retired`` is still
read, from lists and stores that carry it.

``TrustStore`` holds the keys ready for verifying: one cwt key object per kid,
built once, since building it costs as much as a tenth of a verification.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from cwt import COSEKey
from cwt.cose_key_interface import COSEKeyInterface

from healthcode.domain.tokens.keys import KID_BYTES, VerifyingKey, cose_key_params

_MAX_EPOCH = 253_402_300_799
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


class TrustListError(ValueError):
    """A JWK Set that is not a valid trust list; the message says where."""


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """A verifying key compiled for the hot path: cwt key and integer bounds."""

    key: VerifyingKey
    cose_key: COSEKeyInterface
    not_before: int
    not_after: int | None
    retired_at: int | None

    def retired(self, now: int) -> bool:
        return self.retired_at is not None and now >= self.retired_at

    def signed_in_window(self, issued_at: int) -> bool:
        return self.not_before <= issued_at and (
            self.not_after is None or issued_at <= self.not_after
        )


@lru_cache(maxsize=1024)
def compile_key(key: VerifyingKey) -> TrustedKey:
    """The compiled form of ``key`` (cached: keys are immutable values)."""
    return TrustedKey(
        key=key,
        cose_key=COSEKey.new(cose_key_params(key.kid, key.public_key)),
        not_before=_epoch(key.valid_from),
        not_after=None if key.valid_until is None else _epoch(key.valid_until),
        retired_at=None if key.retired_at is None else _epoch(key.retired_at),
    )


class TrustStore(Mapping[bytes, VerifyingKey]):
    """An immutable set of trusted keys by kid, compiled once for fast verification."""

    __slots__ = ("_entries",)

    def __init__(self, keys: Iterable[VerifyingKey] = ()) -> None:
        entries: dict[bytes, TrustedKey] = {}
        for key in keys:
            if key.kid in entries:
                raise ValueError(f"duplicate kid {key.kid.hex()}")
            entries[key.kid] = compile_key(key)
        self._entries = entries

    @classmethod
    def from_jwks(cls, document: object) -> TrustStore:
        return cls(from_jwks(document))

    def entry(self, kid: bytes) -> TrustedKey | None:
        return self._entries.get(kid)

    def __getitem__(self, kid: bytes) -> VerifyingKey:
        return self._entries[kid].key

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"TrustStore({[kid.hex() for kid in self._entries]})"


def lookup(trust: Mapping[bytes, VerifyingKey], kid: bytes) -> TrustedKey | None:
    """The compiled key for ``kid`` from a TrustStore or any mapping of keys."""
    if isinstance(trust, TrustStore):
        return trust.entry(kid)
    key = trust.get(kid)
    return None if key is None else compile_key(key)


def to_jwks(keys: Iterable[VerifyingKey]) -> dict[str, list[dict[str, Any]]]:
    """The keys as a JWK Set, ready for ``json.dumps``."""
    return {"keys": [_to_jwk(key) for key in keys]}


def _to_jwk(key: VerifyingKey) -> dict[str, Any]:
    jwk: dict[str, Any] = {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64url(key.public_key),
        "kid": _b64url(key.kid),
        "use": "sig",
        "alg": "EdDSA",
        "nbf": _epoch(key.valid_from),
    }
    if key.valid_until is not None:
        jwk["exp"] = _epoch(key.valid_until)
    if key.retired_at is not None:
        jwk["retired"] = _epoch(key.retired_at)
    return jwk


def from_jwks(document: object) -> list[VerifyingKey]:
    """Parse a JWK Set strictly; raise ``TrustListError`` naming the bad member."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise TrustListError('a JWK Set must be an object with a "keys" array')
    keys: list[VerifyingKey] = []
    seen: set[bytes] = set()
    for index, jwk in enumerate(document["keys"]):
        key = _from_jwk(jwk, f"keys[{index}]")
        if key.kid in seen:
            raise TrustListError(f"keys[{index}]: duplicate kid {jwk['kid']}")
        seen.add(key.kid)
        keys.append(key)
    return keys


_FIXED_MEMBERS = {"kty": "OKP", "crv": "Ed25519"}
_OPTIONAL_MEMBERS = {"use": "sig", "alg": "EdDSA"}


def _from_jwk(jwk: object, where: str) -> VerifyingKey:
    if not isinstance(jwk, dict):
        raise TrustListError(f"{where}: a JWK must be an object")
    if "d" in jwk:
        raise TrustListError(f"{where}: private key material in a trust list")
    for name, expected in _FIXED_MEMBERS.items():
        if jwk.get(name) != expected:
            raise TrustListError(f"{where}.{name}: must be {expected!r}")
    for name, expected in _OPTIONAL_MEMBERS.items():
        if name in jwk and jwk[name] != expected:
            raise TrustListError(f"{where}.{name}: must be {expected!r} if present")
    if "key_ops" in jwk and jwk["key_ops"] != ["verify"]:
        raise TrustListError(f'{where}.key_ops: must be ["verify"] if present')
    public = _unb64url(jwk.get("x"), f"{where}.x")
    kid = _unb64url(jwk.get("kid"), f"{where}.kid")
    if len(kid) != KID_BYTES:
        raise TrustListError(f"{where}.kid: must be {KID_BYTES} bytes")
    try:
        return VerifyingKey(
            kid=kid,
            public_key=public,
            valid_from=_time(jwk.get("nbf"), f"{where}.nbf"),
            valid_until=_optional_time(jwk, "exp", where),
            retired_at=_optional_time(jwk, "retired", where),
        )
    except ValueError as error:
        raise TrustListError(f"{where}: {error}") from None


def _optional_time(jwk: dict[Any, Any], name: str, where: str) -> datetime | None:
    return _time(jwk[name], f"{where}.{name}") if name in jwk else None


def _time(value: object, where: str) -> datetime:
    if type(value) is not int or not 0 <= value <= _MAX_EPOCH:
        raise TrustListError(f"{where}: must be integer epoch seconds")
    return datetime.fromtimestamp(value, UTC)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(value: object, where: str) -> bytes:
    """Strict base64url without padding (RFC 7515 §2): the canonical form only."""
    if not isinstance(value, str) or not _BASE64URL.fullmatch(value) or len(value) % 4 == 1:
        raise TrustListError(f"{where}: must be unpadded base64url")
    try:
        data = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except binascii.Error:
        raise TrustListError(f"{where}: must be unpadded base64url") from None
    if _b64url(data) != value:
        raise TrustListError(f"{where}: non-canonical base64url")
    return data


def _epoch(at: datetime) -> int:
    return int(at.timestamp())
