"""Signing keys: kept encrypted in the database, rotated, published as a trust list.

Issuing a code must not read and decrypt the keys every time, so each process
caches the ring and its compiled trust store for ``CACHE_SECONDS`` of real time.
A rotation or retirement made by another process therefore reaches this one's
verification within that bound, and its signing at once: before every signature
the chosen key's row is read again (one primary-key lookup), so a retired or
rotated-out key never signs. Rotation publishes the new key ahead of using it
(``Settings.key_publish_ahead_hours``), so scanners holding a cached trust list
never meet an unknown key.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
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
    window_open,
)
from healthcode.domain.tokens.layers import LayeredResult, verify_layers
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

CACHE_SECONDS = 2.0
SEED_CONTEXT = "signing-key"


@dataclass(frozen=True)
class LoadedKeys:
    ring: KeyRing
    trust: TrustStore
    loaded_at: float  # on the cache's monotonic ticker, not the (movable) clock


class KeyCache:
    """One process's copy of the key ring, reloaded after ``ttl`` seconds of real time."""

    def __init__(
        self, ttl: float = CACHE_SECONDS, ticker: Callable[[], float] = time.monotonic
    ) -> None:
        self._lock = threading.Lock()
        self._loaded: LoadedKeys | None = None
        self._ttl = ttl
        self._ticker = ticker

    def get(self, uow: UnitOfWork, protector: Protector, now: datetime) -> LoadedKeys:
        loaded = self._loaded
        if loaded is not None and self._ticker() - loaded.loaded_at < self._ttl:
            return loaded
        with self._lock:
            ring = load_ring(uow, protector)
            if not ring.keys:
                raise NoSigningKey(N_("No signing key has been created yet"))
            self._loaded = LoadedKeys(ring, TrustStore(ring.trusted(now)), self._ticker())
            return self._loaded

    def signer(self, uow: UnitOfWork, protector: Protector, now: datetime) -> SigningKey:
        """The key to sign with at ``now``, its window confirmed against the database:
        if another process retired, rotated or added a key, reload and choose again."""
        key = _confirmed(self.get(uow, protector, now).ring, uow, now)
        if key is None:
            self.invalidate()
            key = _confirmed(self.get(uow, protector, now).ring, uow, now)
        if key is None:
            raise NoSigningKey.at(now)
        return key

    def cached_signer(self, now: datetime) -> SigningKey | None:
        """The ring's signer at ``now`` as this process last loaded it, without the
        database; None when that copy is old (``signer`` reloads it). Before signing,
        the caller confirms the key's window as committed now, as ``signer`` does."""
        loaded = self._loaded
        if loaded is None or self._ticker() - loaded.loaded_at >= self._ttl:
            return None
        try:
            return loaded.ring.signer(now)
        except NoSigningKey:
            return None

    def invalidate(self) -> None:
        self._loaded = None


def _confirmed(ring: KeyRing, uow: UnitOfWork, now: datetime) -> SigningKey | None:
    """The ring's signer at ``now`` if its row, as committed now, still lets it sign."""
    try:
        key = ring.signer(now)
    except NoSigningKey:
        return None
    window = uow.signing_keys.window(key.kid)
    return key if window is not None and window_open(now, *window) else None


KeyRow = t.SigningKey | t.ListSigningKey  # code-signing and list-signing keys: same columns


def read_ring(rows: Iterable[KeyRow], protector: Protector, *, context: str) -> KeyRing:
    """A key ring from its rows, the seeds decrypted under ``context``."""
    return KeyRing(
        tuple(
            RingKey(
                SigningKey.from_seed(
                    protector.decrypt(row.private_cipher, context=context), row.created_at
                ),
                valid_from=row.valid_from,
                valid_until=row.valid_until,
                retired_at=row.retired_at,
            )
            for row in rows
        )
    )


def write_ring(
    uow: UnitOfWork,
    protector: Protector,
    ring: KeyRing,
    *,
    find: Callable[[bytes], KeyRow | None],
    table: type[t.SigningKey] | type[t.ListSigningKey],
    context: str,
) -> None:
    """Insert new keys and record the changed windows of old ones."""
    for key in ring.keys:
        row = find(key.kid)
        if row is None:
            uow.add(
                table(
                    kid=key.kid,
                    public_key=key.signing.public_key,
                    private_cipher=protector.encrypt(key.signing.seed, context=context),
                    created_at=key.signing.created_at,
                    valid_from=key.valid_from,
                    valid_until=key.valid_until,
                    retired_at=key.retired_at,
                )
            )
        else:
            row.valid_until, row.retired_at = key.valid_until, key.retired_at
    uow.flush()


def load_ring(uow: UnitOfWork, protector: Protector) -> KeyRing:
    return read_ring(uow.signing_keys.all(), protector, context=SEED_CONTEXT)


def save_ring(uow: UnitOfWork, protector: Protector, ring: KeyRing) -> None:
    write_ring(
        uow, protector, ring, find=uow.signing_keys.by_kid, table=t.SigningKey, context=SEED_CONTEXT
    )


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
    publish_ahead: timedelta,
) -> RingKey:
    """Add a key announced now that signs from ``now + publish_ahead``; the current
    signer stops at that moment."""
    ring = load_ring(uow, protector).rotate(now, publish_ahead=publish_ahead)
    save_ring(uow, protector, ring)
    uow.after_commit(cache.invalidate)
    return ring.keys[-1]


def retire_key(
    uow: UnitOfWork, protector: Protector, cache: KeyCache, *, kid: bytes, now: datetime
) -> KeyRing:
    """Withdraw a key from ``now``; the ring after it, to tell whether any key still signs."""
    ring = load_ring(uow, protector).retire(kid, now)
    save_ring(uow, protector, ring)
    uow.after_commit(cache.invalidate)
    return ring


def layered_verification(
    uow: UnitOfWork, protector: Protector, cache: KeyCache, *, text: str, now: datetime
) -> LayeredResult:
    """A code checked layer by layer against this server's keys and revocations (the
    CLI shows where a bad code fails; the verdict is ``verify_code``'s)."""
    trust = cache.get(uow, protector, now).trust
    return verify_layers(text, now=now, trust=trust, is_revoked=uow.revocations.is_revoked)


def trust_list(
    uow: UnitOfWork, protector: Protector, cache: KeyCache, now: datetime
) -> dict[str, Any]:
    """The JWK Set to publish: the keys to accept now and the next one announced."""
    return to_jwks(cache.get(uow, protector, now).ring.published(now))


@dataclass(frozen=True)
class Revoked:
    """A paper token that no longer counts, for offline scanners."""

    token_id: bytes
    revoked_at: datetime


def revocation_list(uow: UnitOfWork, *, since: datetime | None) -> Sequence[Revoked]:
    """Revoked token ids for offline scanners, newer than what they already hold."""
    return [Revoked(r.token_id, r.revoked_at) for r in uow.revocations.since(since)]
