"""Signed codes: verifications per second against raw Ed25519 on the same bytes.

The baseline is ``Ed25519PublicKey.verify`` over exactly the Sig_structure and
signature inside the token, so the ratio is the share of a scan's time spent on
the signature itself; everything else (prefix, base45, zlib, COSE structure, key
lookup, claims, checks) is overhead. Target: at least 0.7. Issuing is reported
against raw signing for information.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bench.core import Benchmark, Result, Settings, rates
from healthcode.domain.colour import Colour
from healthcode.domain.tokens import (
    CodeClaims,
    KeyRing,
    Purpose,
    TrustStore,
    issue_token,
    new_claims,
    verify_token,
)
from healthcode.domain.tokens.codec import decode_text, parse_sign1

VERIFY_TARGET = 0.7
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def typical_claims() -> CodeClaims:
    return new_claims(
        Purpose.DISPLAY,
        now=NOW,
        issuer="CN-37",
        colour=Colour.GREEN,
        policy="binzhou-code",
        policy_version="2026.3",
        resident_ref="r8Hq3ZkT2mNwXc4P",
        masked_name="张*",
        masked_id="3701**********1234",
        pass_valid_until=NOW + timedelta(days=5),
    )


def run(settings: Settings) -> list[Result]:
    ring = KeyRing.new(NOW)
    key = ring.signer(NOW)
    trust = TrustStore(ring.trusted(NOW))
    claims = typical_claims()
    text = issue_token(claims, key)
    sign1 = parse_sign1(decode_text(text))
    signed, signature = sign1.to_be_signed(), sign1.signature
    public = Ed25519PublicKey.from_public_bytes(key.public_key)
    purposes = frozenset({Purpose.DISPLAY})
    if not verify_token(text, trust=trust, now=NOW, purposes=purposes).ok:
        raise RuntimeError("the benchmark token does not verify")

    def verify() -> object:
        return verify_token(text, trust=trust, now=NOW, purposes=purposes)

    def raw_verify() -> None:
        public.verify(signature, signed)

    verifying = rates({"token": verify, "raw": raw_verify}, settings)
    signing = rates(
        {"token": lambda: issue_token(claims, key), "raw": lambda: key.private_key.sign(signed)},
        settings,
    )
    return [
        Result(
            "tokens.verify",
            verifying["token"],
            "tokens/s",
            baseline=verifying["raw"],
            target=VERIFY_TARGET,
        ),
        Result("tokens.issue", signing["token"], "tokens/s", baseline=signing["raw"]),
    ]


BENCHMARK = Benchmark(
    "tokens", "signed-code verify and issue rates vs raw Ed25519 on one core", run
)
