"""Small builders for token tests: one clock, one issuer, realistic claims."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
from cwt import COSE

from healthcode.domain.colour import Colour
from healthcode.domain.tokens import (
    CodeClaims,
    KeyRing,
    Purpose,
    SigningKey,
    TrustStore,
    new_claims,
)
from healthcode.domain.tokens.codec import encode_text, protected_header

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
PASS_DAYS = timedelta(days=5)


def claims(
    purpose: Purpose = Purpose.DISPLAY, *, now: datetime = NOW, **changes: Any
) -> CodeClaims:
    """A typical code: a green binzhou-code resident with a pass ending in 5 days;
    the pass's end goes through ``new_claims``, which caps the expiry at it."""
    base = new_claims(
        purpose,
        now=now,
        issuer="CN-37",
        colour=Colour.GREEN,
        policy="binzhou-code",
        policy_version="2026.3",
        resident_ref="r8Hq3ZkT2mNwXc4P",
        masked_name="张*",
        masked_id="3701**********1234",
        pass_valid_until=changes.pop("pass_valid_until", now + PASS_DAYS),
    )
    return replace(base, **changes)


def ring(now: datetime = NOW) -> KeyRing:
    return KeyRing.new(now)


def trust(keys: KeyRing, now: datetime = NOW) -> TrustStore:
    return TrustStore(keys.trusted(now))


def sign_payload(
    payload: bytes,
    key: SigningKey,
    *,
    protected: dict[int, object] | None = None,
    unprotected: dict[int, object] | None = None,
) -> str:
    """A code text around any payload and headers: for inputs issue_token never makes."""
    cose = COSE.new().encode_and_sign(
        payload,
        key.cose_key,
        protected=protected_header(key.kid) if protected is None else protected,
        unprotected={} if unprotected is None else unprotected,
    )
    assert isinstance(cose, bytes)
    return encode_text(cose)


def sign_claims_map(claims_map: object, key: SigningKey) -> str:
    return sign_payload(cbor2.dumps(claims_map), key)
