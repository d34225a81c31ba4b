"""The offline scanner's browser verifier (issue 12 item 13): verifications per second
of ``static/scanner/verify.js`` in Chromium against raw Ed25519 verification with the
same vendored @noble/curves in the same page (no target: the figure is reported).

Measured in the page itself (``performance.now``), interleaved rounds of the
candidates, best round kept, as ``bench.core.rates`` does for Python: a display token
(``scanner.verify``: base45, inflate, CBOR, Ed25519, claims, revocation) and a phone's
presentation (``scanner.verify_device``: that plus P-256, baseline one Ed25519 and one
P-256 verification).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench.core import Benchmark, Result, Settings

MEASURE = """async ([corpus, seconds, rounds, warmup]) => {
  const v = await import("/static/scanner/verify.js");
  const { p256 } = await import("/static/vendor/noble/curves/nist.js");
  const trust = v.trustFromJwks(corpus.jwks), revoked = v.revokedFromList(corpus.revocations);
  const b = (hex) => Uint8Array.from(hex.match(/../g), (x) => parseInt(x, 16));
  const raw = corpus.raw;
  const sig = b(raw.signature), msg = b(raw.signed), pub = b(raw.public_key);
  const dsig = b(raw.device_signature), dmsg = b(raw.device_message), dpub = b(raw.device_key);
  const opts = { trust, revoked, now: corpus.now };
  const candidates = {
    token: () => v.verifyAny(corpus.token, opts),
    raw: () => v.rawEd25519(sig, msg, pub),
    device: () => v.verifyAny(corpus.device, opts),
    raw_device: () => v.rawEd25519(sig, msg, pub)
      && p256.verify(dsig, dmsg, dpub, { lowS: false, prehash: true }),
  };
  const valid = [corpus.token, corpus.device].every((text) => v.verifyAny(text, opts).ok);
  if (!valid || !candidates.raw() || !candidates.raw_device()) {
    throw new Error("the benchmark codes do not verify");
  }
  const rate = (call, ms) => {
    let n = 0; const end = performance.now() + ms, start = performance.now();
    while (performance.now() < end) { for (let i = 0; i < 10; i += 1) { call(); } n += 10; }
    return n / ((performance.now() - start) / 1000);
  };
  for (const call of Object.values(candidates)) { rate(call, warmup * 1000); }
  const best = {};
  for (let r = 0; r < rounds; r += 1) {
    for (const [name, call] of Object.entries(candidates)) {
      best[name] = Math.max(best[name] || 0, rate(call, seconds * 1000));
    }
  }
  return best;
}"""


def _inputs() -> dict[str, Any]:
    from healthcode.domain.tokens import AttestationClaims, verify_presentation
    from healthcode.domain.tokens.attestation import decode_presentation, presentation_message
    from healthcode.domain.tokens.codec import decode_text, parse_sign1
    from tests.factories import scan_corpus

    corpus = scan_corpus.build()
    by_name = {item.name: item.text for item in corpus.items}
    token, device = by_name["valid display token"], by_name["valid device presentation"]
    sign1 = parse_sign1(decode_text(token))
    key = corpus.trust.entry(sign1.kid)
    parts = decode_presentation(device)
    claims = verify_presentation(device, trust=corpus.trust, now=scan_corpus.NOW).claims
    if key is None or not isinstance(claims, AttestationClaims):
        raise RuntimeError("the benchmark codes do not verify in Python")
    data = corpus.for_js()
    data.update(
        token=token,
        device=device,
        raw={
            "signature": sign1.signature.hex(),
            "signed": sign1.to_be_signed().hex(),
            "public_key": key.key.public_key.hex(),
            "device_signature": parts.signature.hex(),
            "device_message": presentation_message(parts.attestation, parts.at).hex(),
            "device_key": claims.device_key.hex(),
        },
    )
    return data


def run(settings: Settings) -> list[Result]:
    from playwright.sync_api import sync_playwright

    from tests.web.live import start

    inputs = _inputs()
    with tempfile.TemporaryDirectory() as directory:
        server = start(Path(directory))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
                page = browser.new_context(base_url=server.url).new_page()
                page.goto("/login")
                best = page.evaluate(
                    MEASURE, [inputs, settings.seconds, settings.rounds, settings.warmup]
                )
                browser.close()
        finally:
            server.stop()
    return [
        Result("scanner.verify", best["token"], "tokens/s (JS)", baseline=best["raw"]),
        Result(
            "scanner.verify_device",
            best["device"],
            "presentations/s (JS)",
            baseline=best["raw_device"],
        ),
    ]


BENCHMARK = Benchmark(
    "scanner",
    "offline scanner: verify.js in Chromium vs raw @noble Ed25519 (+ P-256) in the same page",
    run,
)
