"""Ed25519 keys for signing codes, their public halves, and a rotating key ring.

A key's id (kid) is the first 8 bytes of SHA-256 of its raw public key, so anyone
holding the public key can recompute it and a trust list cannot pair a kid with
another key. Times are kept to whole seconds, as tokens and trust lists carry
epoch seconds. Keys are values passed in as arguments; storing them is the store
layer's job (``SigningKey.seed`` / ``SigningKey.from_seed``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property
from typing import ClassVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cwt import COSEKey
from cwt.cose_key_interface import COSEKeyInterface

from healthcode.domain.clock import aware, local
from healthcode.domain.errors import DomainError
from healthcode.domain.i18n import N_

KID_BYTES = 8
PUBLIC_KEY_BYTES = 32
SEED_BYTES = 32
KEEP_RETIRED = timedelta(days=30)


class NoSigningKey(DomainError):
    """No key in the ring may sign now (all retired, or the next one not yet due)."""

    status: ClassVar[int] = 503
    code: ClassVar[str] = "no_signing_key"

    @classmethod
    def at(cls, now: datetime) -> NoSigningKey:
        """Said at Beijing time to the minute: the raw UTC instant with microseconds
        stood in front of the words (an outside probe, stop 43)."""
        return cls(
            N_("No signing key is available at {at} (Beijing time)."),
            at=local(now).strftime("%Y-%m-%d %H:%M"),
        )


def kid_of(public_key: bytes) -> bytes:
    """The key id of a raw 32-byte Ed25519 public key."""
    return hashlib.sha256(public_key).digest()[:KID_BYTES]


def whole_seconds(at: datetime) -> datetime:
    """``at`` truncated to the second; rejects naive datetimes."""
    return aware(at).replace(microsecond=0)


@dataclass(frozen=True)
class SigningKey:
    """A private signing key. Compared by kid and creation time, never by secret."""

    kid: bytes
    private_key: Ed25519PrivateKey = field(repr=False, compare=False)
    created_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "created_at", whole_seconds(self.created_at))
        if self.kid != kid_of(self.public_key):
            raise ValueError("kid does not match the private key")

    @classmethod
    def from_seed(cls, seed: bytes, created_at: datetime) -> SigningKey:
        """Rebuild a key from its raw 32-byte seed (how the store keeps it)."""
        if len(seed) != SEED_BYTES:
            raise ValueError(f"an Ed25519 seed is {SEED_BYTES} bytes")
        private = Ed25519PrivateKey.from_private_bytes(seed)
        return cls(kid_of(_raw_public(private)), private, created_at)

    @property
    def seed(self) -> bytes:
        """The raw 32-byte private seed, for the store to protect and keep."""
        return self.private_key.private_bytes_raw()

    @property
    def public_key(self) -> bytes:
        return _raw_public(self.private_key)

    @cached_property
    def cose_key(self) -> COSEKeyInterface:
        """The key as a cwt object, built once: building it costs as much as a signature."""
        return COSEKey.new(cose_key_params(self.kid, self.public_key, self.seed))


def cose_key_params(kid: bytes, public_key: bytes, seed: bytes | None = None) -> dict[int, object]:
    """COSE_Key parameters (RFC 9053) of an Ed25519 key for cwt."""
    params: dict[int, object] = {1: 1, 2: kid, 3: -8, -1: 6, -2: public_key}  # OKP, EdDSA
    if seed is not None:
        params[-4] = seed
    return params


def generate_key(now: datetime) -> SigningKey:
    """A fresh random signing key created ``now``."""
    private = Ed25519PrivateKey.generate()
    return SigningKey(kid_of(_raw_public(private)), private, now)


@dataclass(frozen=True)
class VerifyingKey:
    """A public key as scanners see it, with the window in which it signed.

    ``valid_from``/``valid_until`` bound the issue times (``iat``) of tokens it may
    have signed; ``valid_until`` is None while the key still signs. From
    ``retired_at`` on it verifies nothing (withdrawn or compromised).
    """

    kid: bytes
    public_key: bytes
    valid_from: datetime
    valid_until: datetime | None = None
    retired_at: datetime | None = None

    def __post_init__(self) -> None:
        if type(self.public_key) is not bytes or len(self.public_key) != PUBLIC_KEY_BYTES:
            raise ValueError(f"an Ed25519 public key is {PUBLIC_KEY_BYTES} bytes")
        if self.kid != kid_of(self.public_key):
            raise ValueError("kid does not match the public key")
        Ed25519PublicKey.from_public_bytes(self.public_key)
        set_ = object.__setattr__
        set_(self, "valid_from", whole_seconds(self.valid_from))
        if self.valid_until is not None:
            set_(self, "valid_until", whole_seconds(self.valid_until))
            if self.valid_until < self.valid_from:
                raise ValueError("valid_until is before valid_from")
        if self.retired_at is not None:
            set_(self, "retired_at", whole_seconds(self.retired_at))

    def is_retired(self, now: datetime) -> bool:
        return self.retired_at is not None and now >= self.retired_at


@dataclass(frozen=True)
class RingKey:
    """A signing key in a ring, with its signing window and retirement."""

    signing: SigningKey
    valid_from: datetime
    valid_until: datetime | None = None
    retired_at: datetime | None = None

    @property
    def kid(self) -> bytes:
        return self.signing.kid

    @property
    def verifying(self) -> VerifyingKey:
        return VerifyingKey(
            self.kid, self.signing.public_key, self.valid_from, self.valid_until, self.retired_at
        )

    def signs_at(self, now: datetime) -> bool:
        return window_open(now, self.valid_from, self.valid_until, self.retired_at)


def _ended(key: RingKey, start: datetime, now: datetime) -> RingKey:
    """``key`` once a new key signs from ``start``: its signing ends then at the latest,
    and a key announced to sign only after ``start`` is withdrawn unused. An emergency
    rotation (ahead 0) after a routine one ends the current key now, not when the
    routine one was to take over; until stop 43 the trust list kept its end 48 hours
    ahead and listed the superseded key with an empty window (an outside probe)."""
    if key.valid_from > start:
        return replace(key, valid_until=key.valid_from, retired_at=key.retired_at or now)
    if key.valid_until is None or key.valid_until > start:
        return replace(key, valid_until=max(key.valid_from, start))
    return key


def window_open(
    now: datetime, valid_from: datetime, valid_until: datetime | None, retired_at: datetime | None
) -> bool:
    """Whether a key with this signing window and retirement may sign at ``now``."""
    return (
        valid_from <= now
        and (valid_until is None or now < valid_until)
        and (retired_at is None or now < retired_at)
    )


@dataclass(frozen=True)
class KeyRing:
    """The issuer's keys, oldest first. Every change returns a new ring.

    Rotation keeps old keys verifying the tokens they signed until they are
    retired. ``publish_ahead`` lets the new key appear in trust lists before it
    signs, so scanners with a cached list never meet an unknown key.
    """

    keys: tuple[RingKey, ...] = ()

    @classmethod
    def new(cls, now: datetime) -> KeyRing:
        return cls().rotate(now)

    def rotate(self, now: datetime, *, publish_ahead: timedelta = timedelta(0)) -> KeyRing:
        """Add a fresh key that signs from ``now + publish_ahead``; the keys signing
        until then, or due to sign after it, stop at that moment (``_ended``)."""
        start = whole_seconds(now + publish_ahead)
        ended = tuple(_ended(k, start, whole_seconds(now)) for k in self.keys)
        return KeyRing((*ended, RingKey(generate_key(now), valid_from=start)))

    def retire(self, kid: bytes, now: datetime) -> KeyRing:
        """Withdraw a key: from ``now`` it neither signs nor verifies."""
        at = whole_seconds(now)
        ring = self.get(kid)
        if ring is None:
            raise KeyError(kid.hex())
        until = at if ring.valid_until is None else min(ring.valid_until, at)
        retired = replace(
            ring,
            valid_until=max(ring.valid_from, until),
            retired_at=at if ring.retired_at is None else min(ring.retired_at, at),
        )
        return KeyRing(tuple(retired if k.kid == kid else k for k in self.keys))

    def get(self, kid: bytes) -> RingKey | None:
        return next((k for k in self.keys if k.kid == kid), None)

    def signer(self, now: datetime) -> SigningKey:
        """The key that signs at ``now``: the newest one whose window is open."""
        for key in reversed(self.keys):
            if key.signs_at(now):
                return key.signing
        raise NoSigningKey.at(now)

    def trusted(
        self, now: datetime, *, keep_retired: timedelta = KEEP_RETIRED
    ) -> tuple[VerifyingKey, ...]:
        """The keys the issuer's own verifier holds at ``now``: every key, including
        those announced ahead; retired keys stay for ``keep_retired`` so a scan of a
        withdrawn key's code says so rather than "unknown key"."""
        horizon = now - keep_retired
        return tuple(
            k.verifying for k in self.keys if k.retired_at is None or k.retired_at > horizon
        )

    def published(self, now: datetime) -> tuple[VerifyingKey, ...]:
        """The keys any verifier should accept at ``now``, including the next one
        announced ahead: a withdrawn key is left out, because standard JOSE libraries
        ignore a ``retired`` member and would keep trusting it."""
        return tuple(k.verifying for k in self.keys if k.retired_at is None or now < k.retired_at)


def _raw_public(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes_raw()
