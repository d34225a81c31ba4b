"""Device-bound codes (issue 11): verification cost, and server requests per hour.

``device.verify``: presentations verified per second against one raw Ed25519 plus
one raw P-256 verification of the same bytes (the attestation's Sig_structure and
the device's message). The issuer's key is loaded once; the device key is loaded
from the 33-byte compressed point in each round, because every presentation brings
a new one and nothing can verify it without decompressing it (~27 µs, a tenth of the
whole). Target: at least 0.8.

``device.requests``: a code page open for three hours in Chromium with a fake clock
(the server's clock moved with it), counting the requests it makes to the server in
the last two hours, per hour; the baseline is the same page without WebCrypto (the
server-refreshed display tokens at the production lifetime of 60 s). Target: at
most 2 an hour.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from bench.core import Benchmark, Result, Settings, rates
from healthcode.domain.colour import Colour
from healthcode.domain.tokens import (
    AttestationClaims,
    KeyRing,
    TrustStore,
    compressed_point,
    new_attestation,
    present,
    sign_attestation,
    verify_presentation,
)
from healthcode.domain.tokens.attestation import decode_presentation, presentation_message
from healthcode.domain.tokens.codec import parse_sign1

VERIFY_TARGET = 0.8
REQUESTS_AT_MOST = 2
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def typical_presentation() -> tuple[str, KeyRing]:
    ring = KeyRing.new(NOW)
    device = ec.generate_private_key(ec.SECP256R1())
    claims = new_attestation(
        now=NOW,
        colour=Colour.GREEN,
        policy="shandong-pass",
        policy_version="2020-02-14",
        device_key=compressed_point(device.public_key()),
        pseudonym=os.urandom(16),
        id_number="37010219800101123X",
        masked_name="欧阳*锋",
        masked_id="3701**********123X",
        pass_valid_until=NOW + timedelta(days=5),
        recheck_at=NOW + timedelta(hours=8),
    )
    attestation = sign_attestation(claims, ring.signer(NOW))
    return present(attestation, int(NOW.timestamp()), device), ring


def _verify_rates(settings: Settings) -> Result:
    text, ring = typical_presentation()
    trust = TrustStore(ring.trusted(NOW))
    parts = decode_presentation(text)
    sign1 = parse_sign1(parts.attestation)
    signed = sign1.to_be_signed()
    ed = Ed25519PublicKey.from_public_bytes(ring.signer(NOW).public_key)
    claims = verify_presentation(text, trust=trust, now=NOW).claims
    if not isinstance(claims, AttestationClaims):
        raise RuntimeError("the benchmark presentation does not verify")
    device_key = claims.device_key
    message = presentation_message(parts.attestation, parts.at)
    der = encode_dss_signature(
        int.from_bytes(parts.signature[:32], "big"), int.from_bytes(parts.signature[32:], "big")
    )
    algorithm = ec.ECDSA(hashes.SHA256())

    def verify() -> object:
        return verify_presentation(text, trust=trust, now=NOW)

    def raw() -> None:
        ed.verify(sign1.signature, signed)
        p256 = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), device_key)
        p256.verify(der, message, algorithm)

    measured = rates({"presentation": verify, "raw": raw}, settings)
    return Result(
        "device.verify",
        measured["presentation"],
        "presentations/s",
        baseline=measured["raw"],
        target=VERIFY_TARGET,
    )


def _requests_per_hour(*, webcrypto: bool) -> float:
    """Requests per hour from an open code page, hours 2 and 3 of three."""
    from playwright.sync_api import sync_playwright

    from tests.web.flows import NO_WEBCRYPTO, declare_and_confirm, sign_in
    from tests.web.live import start

    with tempfile.TemporaryDirectory() as directory:
        server = start(Path(directory))
        server.app.state.env.settings.display_token_seconds = 60  # production's lifetime
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
                page = browser.new_context(base_url=server.url).new_page()
                if not webcrypto:
                    page.add_init_script(NO_WEBCRYPTO)
                page.clock.install()
                sign_in(page, server, "13900000001")
                declare_and_confirm(page)
                page.wait_for_timeout(500)
                seen: list[str] = []
                page.on("request", lambda request: seen.append(request.url))
                counted = 0
                for minute in range(180):
                    if minute == 60:
                        counted = len(seen)
                    server.clock.advance(timedelta(minutes=1))
                    page.clock.run_for(60_000)
                    page.wait_for_timeout(30)  # let a fetch that a timer started finish
                browser.close()
        finally:
            server.stop()
    return (len(seen) - counted) / 2


def run(settings: Settings) -> list[Result]:
    device, today = _requests_per_hour(webcrypto=True), _requests_per_hour(webcrypto=False)
    return [
        _verify_rates(settings),
        Result(
            "device.requests",
            device,
            "requests/resident-hour",
            baseline=today,
            at_most=REQUESTS_AT_MOST,
        ),
    ]


BENCHMARK = Benchmark(
    "device",
    "device codes: verify vs raw Ed25519 + P-256; server requests per resident-hour",
    run,
)
