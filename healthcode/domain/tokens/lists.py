"""Signed trust and revocation lists: compact JWS (EdDSA) by a list-signing key.

Format in docs/keys.md ("Signed lists"). A scanner holds the last list it verified
(``TrustList``, ``RevocationList``); ``load_trust_list`` / ``load_revocations``
verify a fetched document against the pinned list keys (and those the held trust list
announced), refuse one that is older than the held list, and apply a delta. Nothing
here reads a clock or a file: times and keys are arguments.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from healthcode.domain.clock import aware
from healthcode.domain.tokens.federation import (
    FederationError,
    Region,
    RegionKey,
    b64url,
    key_from_json,
    region_from_json,
    region_to_json,
)
from healthcode.domain.tokens.keys import SigningKey, VerifyingKey
from healthcode.domain.tokens.trustlist import TrustListError, from_jwks, to_jwks

DEFAULT_WARN_DAYS = 3
MAX_LIST_CHARS = 8 * 1024 * 1024
_HEX_CTI = re.compile(r"[0-9a-f]{32}")


class ListKind(StrEnum):
    TRUST = "trust"
    REVOCATIONS = "revocations"

    @property
    def typ(self) -> str:
        return "hc-trust-list+jws" if self is ListKind.TRUST else "hc-revocations+jws"


class ListRefusal(StrEnum):
    """Why a fetched list was not taken; the stable codes of docs/keys.md."""

    UNSIGNED = "unsigned"
    TOO_LARGE = "list_too_large"
    BAD_HEADER = "bad_list_header"
    UNKNOWN_KEY = "unknown_list_key"
    KEY_RETIRED = "list_key_retired"
    BAD_SIGNATURE = "bad_list_signature"
    WRONG_TYPE = "wrong_list_type"
    MALFORMED = "malformed_list"
    ROLLBACK = "list_rollback"
    DELTA_MISMATCH = "delta_mismatch"


class ListError(ValueError):
    def __init__(self, refusal: ListRefusal, detail: str) -> None:
        super().__init__(f"{refusal.value}: {detail}")
        self.refusal = refusal


def sign_list(kind: ListKind, payload: Mapping[str, Any], key: SigningKey) -> str:
    """The compact JWS of ``payload`` signed by the list key ``key``."""
    header = {"alg": "EdDSA", "kid": b64url(key.kid), "typ": kind.typ}
    signing_input = f"{_b64json(header)}.{_b64json(payload)}"
    signature = key.private_key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url(signature)}"


def open_list(
    text: str, *, kind: ListKind, list_keys: Mapping[bytes, VerifyingKey]
) -> dict[str, Any]:
    """The payload of a signed list, once its header, key and signature are checked."""
    if not isinstance(text, str):
        raise ListError(ListRefusal.UNSIGNED, "not a compact JWS")
    if len(text) > MAX_LIST_CHARS:
        raise ListError(ListRefusal.TOO_LARGE, f"over {MAX_LIST_CHARS:,} characters")
    parts = text.strip().split(".")
    if len(parts) != 3 or not all(parts):
        raise ListError(ListRefusal.UNSIGNED, "not a compact JWS (three base64url parts)")
    header = _json_part(parts[0], ListRefusal.BAD_HEADER, "header")
    if set(header) != {"alg", "kid", "typ"} or header["alg"] != "EdDSA":
        raise ListError(ListRefusal.BAD_HEADER, 'header must be exactly {"alg": "EdDSA", kid, typ}')
    if header["typ"] != kind.typ:
        raise ListError(ListRefusal.WRONG_TYPE, f"typ is {header['typ']!r}, not {kind.typ!r}")
    kid = _unb64(header["kid"], ListRefusal.BAD_HEADER, "kid")
    key = list_keys.get(kid)
    if key is None:
        raise ListError(ListRefusal.UNKNOWN_KEY, f"kid {header['kid']} is not a list key")
    signature = _unb64(parts[2], ListRefusal.BAD_SIGNATURE, "signature")
    try:
        Ed25519PublicKey.from_public_bytes(key.public_key).verify(
            signature, f"{parts[0]}.{parts[1]}".encode("ascii")
        )
    except InvalidSignature:
        raise ListError(ListRefusal.BAD_SIGNATURE, "signature does not verify") from None
    payload = _json_part(parts[1], ListRefusal.MALFORMED, "payload")
    if payload.get("list") != kind.value:
        raise ListError(ListRefusal.WRONG_TYPE, f"payload is not a {kind.value} list")
    issued_at = _int(payload, "issued_at")
    if key.is_retired(_at(issued_at)) or not _signed_in_window(key, issued_at):
        raise ListError(ListRefusal.KEY_RETIRED, f"list key {header['kid']} may not sign then")
    return payload


@dataclass(frozen=True)
class TrustList:
    """A verified trust list as a scanner holds it (all deltas applied)."""

    version: int
    issued_at: int
    list_keys: tuple[VerifyingKey, ...]
    regions: tuple[Region, ...]
    keys: Mapping[bytes, RegionKey] = field(repr=False)

    def region_for(self, text: str) -> Region | None:
        """The region whose prefix ``text`` starts with (the longest match)."""
        text = text.strip()
        found = [r for r in self.regions for p in r.prefixes if text.startswith(p)]
        return max(found, key=lambda r: max(len(p) for p in r.prefixes), default=None)

    def keys_of(self, region: str) -> dict[bytes, RegionKey]:
        return {kid: k for kid, k in self.keys.items() if k.region == region}


@dataclass(frozen=True)
class RevocationList:
    version: int
    issued_at: int
    revoked: Mapping[bytes, int] = field(repr=False)  # token id -> revoked at

    def is_revoked(self, token_id: bytes) -> bool:
        return token_id in self.revoked


def trusted_list_keys(
    pinned: Iterable[VerifyingKey], held: TrustList | None
) -> dict[bytes, VerifyingKey]:
    """The list keys a scanner accepts: its pinned keys and those its held (verified)
    trust list announced."""
    keys = {k.kid: k for k in (held.list_keys if held else ())}
    keys.update((k.kid, k) for k in pinned)
    return keys


def load_trust_list(
    text: str, *, pinned: Iterable[VerifyingKey], held: TrustList | None = None
) -> TrustList:
    """Verify a fetched trust list and apply it to ``held``; ``ListError`` if refused."""
    payload = open_list(text, kind=ListKind.TRUST, list_keys=trusted_list_keys(pinned, held))
    version, issued_at, since = _check_order(payload, held)
    try:
        list_keys = tuple(from_jwks({"keys": payload.get("list_keys")}))
        regions = tuple(
            region_from_json(r, f"regions[{i}]") for i, r in enumerate(_list(payload, "regions"))
        )
        changed = [key_from_json(k, f"keys[{i}]") for i, k in enumerate(_list(payload, "keys"))]
    except (TrustListError, FederationError) as error:
        raise ListError(ListRefusal.MALFORMED, str(error)) from None
    keys = dict(held.keys) if since is not None and held is not None else {}
    for kid in _list(payload, "removed") if since is not None else ():
        keys.pop(_unb64(kid, ListRefusal.MALFORMED, "removed kid"), None)
    keys.update((k.kid, k) for k in changed)
    return TrustList(version, issued_at, list_keys, regions, keys)


def load_revocations(
    text: str, *, list_keys: Mapping[bytes, VerifyingKey], held: RevocationList | None = None
) -> RevocationList:
    """Verify a fetched revocation list and apply it to ``held``."""
    payload = open_list(text, kind=ListKind.REVOCATIONS, list_keys=list_keys)
    version, issued_at, since = _check_order(payload, held)
    revoked = dict(held.revoked) if since is not None and held is not None else {}
    for cti in _list(payload, "removed") if since is not None else ():
        revoked.pop(_cti(cti), None)
    for index, entry in enumerate(_list(payload, "revoked")):
        if not isinstance(entry, dict):
            raise ListError(ListRefusal.MALFORMED, f"revoked[{index}]: must be an object")
        revoked[_cti(entry.get("cti"))] = _int(entry, "at")
    return RevocationList(version, issued_at, revoked)


def _check_order(
    payload: Mapping[str, Any], held: TrustList | RevocationList | None
) -> tuple[int, int, int | None]:
    version, issued_at = _int(payload, "version"), _int(payload, "issued_at")
    since = _int(payload, "since") if "since" in payload else None
    if version < 1 or (since is not None and since > version):
        raise ListError(ListRefusal.MALFORMED, "version must be >= 1 and >= since")
    if held is not None and (version, issued_at) < (held.version, held.issued_at):
        raise ListError(
            ListRefusal.ROLLBACK,
            f"version {version} issued {issued_at} is older than the held "
            f"version {held.version} issued {held.issued_at}",
        )
    if since is not None and (held is None or held.version != since):
        raise ListError(ListRefusal.DELTA_MISMATCH, f"a delta from version {since}")
    return version, issued_at, since


def is_stale(issued_at: int, now: datetime, *, warn_days: int = DEFAULT_WARN_DAYS) -> bool:
    """Whether a list issued at ``issued_at`` (epoch seconds) is too old at ``now``:
    the scanner keeps verifying with it, but warns."""
    return aware(now) - _at(issued_at) > timedelta(days=warn_days)


def trust_state(held: TrustList) -> dict[str, Any]:
    """A held trust list as JSON, for a scanner's cache (``trust_from_state``)."""
    return {
        "version": held.version,
        "issued_at": held.issued_at,
        "list_keys": to_jwks(held.list_keys)["keys"],
        "regions": [region_to_json(r) for r in held.regions],
        "keys": [dict(k.document) for k in held.keys.values()],
    }


def trust_from_state(state: Mapping[str, Any]) -> TrustList:
    """A cached trust list back; ``ListError`` (malformed) if the cache is damaged."""
    try:
        keys = [key_from_json(k, "keys") for k in state["keys"]]
        return TrustList(
            version=_int(state, "version"),
            issued_at=_int(state, "issued_at"),
            list_keys=tuple(from_jwks({"keys": state["list_keys"]})),
            regions=tuple(region_from_json(r) for r in state["regions"]),
            keys={k.kid: k for k in keys},
        )
    except (KeyError, TypeError, TrustListError, FederationError) as error:
        raise ListError(ListRefusal.MALFORMED, f"cached trust list: {error}") from None


def revocations_state(held: RevocationList) -> dict[str, Any]:
    return {
        "version": held.version,
        "issued_at": held.issued_at,
        "revoked": {cti.hex(): at for cti, at in held.revoked.items()},
    }


def revocations_from_state(state: Mapping[str, Any]) -> RevocationList:
    revoked = state.get("revoked")
    if not isinstance(revoked, dict):
        raise ListError(ListRefusal.MALFORMED, "cached revocation list: no revoked map")
    return RevocationList(
        _int(state, "version"),
        _int(state, "issued_at"),
        {_cti(cti): at for cti, at in revoked.items() if type(at) is int},
    )


def trust_payload(
    *,
    version: int,
    issued_at: int,
    list_keys: Iterable[VerifyingKey],
    regions: Iterable[Mapping[str, Any]],
    keys: Iterable[Mapping[str, Any]],
    since: int | None = None,
    removed: Iterable[str] = (),
) -> dict[str, Any]:
    """A trust list payload; ``since`` makes it a delta."""
    payload: dict[str, Any] = {"list": "trust", "version": version, "issued_at": issued_at}
    if since is not None:
        payload["since"] = since
    payload["list_keys"] = to_jwks(list_keys)["keys"]
    payload["regions"] = list(regions)
    payload["keys"] = list(keys)
    if since is not None:
        payload["removed"] = list(removed)
    return payload


def revocations_payload(
    *,
    version: int,
    issued_at: int,
    revoked: Iterable[Mapping[str, Any]],
    since: int | None = None,
    removed: Iterable[str] = (),
) -> dict[str, Any]:
    payload: dict[str, Any] = {"list": "revocations", "version": version, "issued_at": issued_at}
    if since is not None:
        payload["since"] = since
    payload["revoked"] = list(revoked)
    if since is not None:
        payload["removed"] = list(removed)
    return payload


def _signed_in_window(key: VerifyingKey, issued_at: int) -> bool:
    at = _at(issued_at)
    return key.valid_from <= at and (key.valid_until is None or at <= key.valid_until)


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _b64json(value: Mapping[str, Any]) -> str:
    data = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return b64url(data)


def _unb64(value: object, refusal: ListRefusal, what: str) -> bytes:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", value):
        raise ListError(refusal, f"{what} is not base64url")
    try:
        data = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise ListError(refusal, f"{what} is not base64url") from None
    if b64url(data) != value:
        raise ListError(refusal, f"{what} is not canonical base64url")
    return data


def _json_part(part: str, refusal: ListRefusal, what: str) -> dict[str, Any]:
    try:
        value = json.loads(_unb64(part, refusal, what).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        if isinstance(error, ListError):
            raise
        raise ListError(refusal, f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise ListError(refusal, f"{what} is not a JSON object")
    return value


def _int(payload: Mapping[str, Any], name: str) -> int:
    value = payload.get(name)
    if type(value) is not int or not 0 <= value <= 253_402_300_799:
        raise ListError(ListRefusal.MALFORMED, f"{name} must be a non-negative integer")
    return value


def _list(payload: Mapping[str, Any], name: str) -> list[Any]:
    value = payload.get(name, [])
    if not isinstance(value, list):
        raise ListError(ListRefusal.MALFORMED, f"{name} must be a list")
    return value


def _cti(value: object) -> bytes:
    if not isinstance(value, str) or not _HEX_CTI.fullmatch(value):
        raise ListError(ListRefusal.MALFORMED, "cti must be 32 lower-case hex digits")
    return bytes.fromhex(value)
