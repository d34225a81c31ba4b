"""On-screen tokens reused for most of their lifetime instead of signed per request.

One resident polling the QR endpoints must not cost a signature (and, downstream, a
QR drawing of a new text) per request. A token is handed out again while more than
a third of its lifetime is left and everything it says still holds: colour, pass
end, policy version, the resident's masked details, the issuer and the signing key.
A change to any of them gives a new token at once. The cache is per process, small
and bounded; a miss only costs a signature.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from healthcode.domain.tokens import CodeClaims, SigningKey, issue_token

CacheKey = tuple[uuid.UUID, str]  # resident, policy
REUSE_FRACTION = 2 / 3  # reused until this much of the lifetime has gone
MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class SignedToken:
    text: str
    claims: CodeClaims
    kid: bytes


def _content(claims: CodeClaims) -> tuple[object, ...]:
    """Everything a token says except its own id and times."""
    return (
        claims.issuer,
        claims.purpose,
        claims.colour,
        claims.policy,
        claims.policy_version,
        claims.pass_valid_until,
        claims.resident_ref,
        claims.masked_name,
        claims.masked_id,
    )


class DisplayTokens:
    """The last token of each resident and policy, thread-safe, least recently used
    evicted first."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[CacheKey, SignedToken] = OrderedDict()
        self._max = max_entries

    def token(
        self, key: CacheKey, claims: CodeClaims, signer: SigningKey, now: datetime
    ) -> SignedToken:
        """The cached token for ``key`` if it says what ``claims`` say, was signed by
        ``signer`` and is young enough at ``now``; else ``claims`` signed and cached."""
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None and _reusable(cached, claims, signer.kid, now):
                self._entries.move_to_end(key)
                return cached
        fresh = SignedToken(issue_token(claims, signer), claims, signer.kid)
        with self._lock:
            self._entries[key] = fresh
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return fresh


def _reusable(cached: SignedToken, wanted: CodeClaims, kid: bytes, now: datetime) -> bool:
    old = cached.claims
    if cached.kid != kid or _content(old) != _content(wanted):
        return False
    reuse_until = old.issued_at + (old.expires_at - old.issued_at) * REUSE_FRACTION
    return old.issued_at <= now < reuse_until  # a clock set back never reuses
