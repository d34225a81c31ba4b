"""Signing keys: kept encrypted in the database, rotated, published as a trust list.

Issuing a code must not read and decrypt the keys every time, so the ring and its
compiled trust store are cached per process for a short while; a rotation made by
another worker is picked up within that time. Rotation publishes the new key ahead
of using it, so scanners holding a cached trust list never meet an unknown key.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from healthcode.crypto import Protector
from healthcode.domain.i18n import N_
from healthcode.domain.tokens import (
    KeyRing,
    NoSigningKey,
    RingKey,
    SigningKey,
    TrustStore,
    to_jwks,
)
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

CACHE_FOR = timedelta(seconds=30)
SEED_CONTEXT = "signing-key"


@dataclass(frozen=True)
class LoadedKeys:
    ring: KeyRing
    trust: TrustStore
    loaded_at: datetime


class KeyCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: LoadedKeys | None = None

    def get(self, uow: UnitOfWork, protector: Protector, now: datetime) -> LoadedKeys:
        loaded = self._loaded
        if loaded is not None and now - loaded.loaded_at < CACHE_FOR and now >= loaded.loaded_at:
            return loaded
        with self._lock:
            ring = load_ring(uow, protector)
            if not ring.keys:
                raise NoSigningKey(N_("No signing key has been created yet"))
            self._loaded = LoadedKeys(ring, TrustStore(ring.trusted(now)), now)
            return self._loaded

    def invalidate(self) -> None:
        self._loaded = None


def load_ring(uow: UnitOfWork, protector: Protector) -> KeyRing:
    return KeyRing(
        tuple(
            RingKey(
                SigningKey.from_seed(
                    protector.decrypt(row.private_cipher, context=SEED_CONTEXT), row.created_at
                ),
                valid_from=row.valid_from,
                valid_until=row.valid_until,
                retired_at=row.retired_at,
            )
            for row in uow.signing_keys.all()
        )
    )


def save_ring(uow: UnitOfWork, protector: Protector, ring: KeyRing) -> None:
    """Insert new keys and record the changed windows of old ones."""
    for key in ring.keys:
        row = uow.signing_keys.by_kid(key.kid)
        if row is None:
            uow.add(
                t.SigningKey(
                    kid=key.kid,
                    public_key=key.signing.public_key,
                    private_cipher=protector.encrypt(key.signing.seed, context=SEED_CONTEXT),
                    created_at=key.signing.created_at,
                    valid_from=key.valid_from,
                    valid_until=key.valid_until,
                    retired_at=key.retired_at,
                )
            )
        else:
            row.valid_until, row.retired_at = key.valid_until, key.retired_at
    uow.flush()


def ensure_signing_key(uow: UnitOfWork, protector: Protector, *, now: datetime) -> bool:
    """Create the first key of a new installation; True if one was created."""
    if uow.signing_keys.all():
        return False
    save_ring(uow, protector, KeyRing.new(now))
    return True


def rotate_keys(
    uow: UnitOfWork,
    protector: Protector,
    cache: KeyCache,
    *,
    now: datetime,
    publish_ahead: timedelta = timedelta(0),
) -> RingKey:
    ring = load_ring(uow, protector).rotate(now, publish_ahead=publish_ahead)
    save_ring(uow, protector, ring)
    uow.after_commit(cache.invalidate)
    return ring.keys[-1]


def retire_key(
    uow: UnitOfWork, protector: Protector, cache: KeyCache, *, kid: bytes, now: datetime
) -> None:
    save_ring(uow, protector, load_ring(uow, protector).retire(kid, now))
    uow.after_commit(cache.invalidate)


def trust_list(
    uow: UnitOfWork, protector: Protector, cache: KeyCache, now: datetime
) -> dict[str, Any]:
    return to_jwks(cache.get(uow, protector, now).ring.trusted(now))


def revocation_list(uow: UnitOfWork, *, since: datetime | None) -> Sequence[t.Revocation]:
    """Revoked token ids for offline scanners, newer than what they already hold."""
    return uow.revocations.since(since)
