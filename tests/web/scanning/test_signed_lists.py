"""The scanner's signed lists (docs/keys.md, "Signed lists") read by lists.js in
Chromium: compact JWS signed by a pinned list key, versions, deltas and every refusal."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import BrowserContext, Page, Route

from healthcode.domain.tokens import KeyRing, kid_of
from healthcode.domain.tokens.trustlist import to_jwks
from tests.domain.tokens import foreign_factory as ff
from tests.factories import scan_corpus
from tests.factories.scan_corpus import AT, NOW

LIST_TYPES = {"trust": "hc-trust-list+jws", "revocations": "hc-revocations+jws"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class ListKey:
    def __init__(self, nbf: int = AT - 86400) -> None:
        self.private = Ed25519PrivateKey.generate()
        self.public = self.private.public_key().public_bytes_raw()
        self.kid = kid_of(self.public)
        self.nbf = nbf

    @property
    def jwk(self) -> dict[str, Any]:
        return {"kty": "OKP", "crv": "Ed25519", "x": b64(self.public), "kid": b64(self.kid),
                "nbf": self.nbf}  # fmt: skip

    def sign(self, payload: dict[str, Any], typ: str, **header: Any) -> str:
        head = {"alg": "EdDSA", "kid": b64(self.kid), "typ": typ, **header}
        signing_input = f"{b64(json.dumps(head).encode())}.{b64(json.dumps(payload).encode())}"
        return f"{signing_input}.{b64(self.private.sign(signing_input.encode()))}"


@pytest.fixture
def page(context: BrowserContext) -> Page:
    made = context.new_page()
    made.goto("/login")
    return made


CHECK = """async ([text, kind, pinned, held, now]) => {
  const lists = await import("/static/scanner/lists.js");
  try {
    const payload = lists.verifySignedList(text, kind, lists.listKeysFrom(pinned), held, now);
    const apply = kind === "trust" ? lists.applyTrust : lists.applyRevocations;
    const next = await apply(held, payload);
    return {ok: true, version: next.version, keys: (next.keys || []).map((k) => k.kid),
            revoked: next.revoked || null};
  } catch (e) { return {ok: false, code: e.code || e.message}; }
}"""


def check(page: Page, text: str, kind: str, key: ListKey, held: Any = None) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(CHECK, [text, kind, {"keys": [key.jwk]}, held, AT])
    return result


def _ours(keys: Any) -> list[dict[str, Any]]:
    """Our code keys as trust-list KEYs: JWKs with their region (docs/keys.md)."""
    return [{**jwk, "region": "370000"} for jwk in to_jwks(keys)["keys"]]


def trust_payload(version: int, keys: list[dict[str, Any]], key: ListKey, **extra: Any) -> Any:
    return {"list": "trust", "version": version, "issued_at": AT - 60, "list_keys": [key.jwk],
            "regions": [], "keys": keys, **extra}  # fmt: skip


def test_a_signed_trust_list_applies_and_its_delta_too(page: Page) -> None:
    key, ring = ListKey(), KeyRing.new(NOW - timedelta(days=1))
    jwks = _ours(ring.trusted(NOW))
    full = check(page, key.sign(trust_payload(7, jwks, key), LIST_TYPES["trust"]), "trust", key)
    assert full == {"ok": True, "version": 7, "keys": [k["kid"] for k in jwks], "revoked": None}

    held = {"version": 7, "issued_at": AT - 60, "keys": jwks, "list_keys": [key.jwk]}
    added = _ours(KeyRing.new(NOW).trusted(NOW))
    delta = trust_payload(8, added, key, since=7, removed=[jwks[0]["kid"]])
    after = check(page, key.sign(delta, LIST_TYPES["trust"]), "trust", key, held)
    assert (after["ok"], after["version"]) == (True, 8)
    assert after["keys"] == [k["kid"] for k in jwks[1:] + added]

    stale = trust_payload(8, added, key, since=6)
    assert check(page, key.sign(stale, LIST_TYPES["trust"]), "trust", key, held)["code"] == (
        "delta_mismatch"
    )
    older = trust_payload(6, jwks, key)
    assert check(page, key.sign(older, LIST_TYPES["trust"]), "trust", key, held)["code"] == (
        "list_rollback"
    )


def test_a_revocation_delta_adds_and_removes(page: Page) -> None:
    key = ListKey()
    held = {"version": 3, "issued_at": AT - 600, "revoked": ["aa" * 16, "bb" * 16]}
    delta = {"list": "revocations", "version": 4, "issued_at": AT, "since": 3,
             "revoked": [{"cti": "cc" * 16, "at": AT}], "removed": ["aa" * 16]}  # fmt: skip
    result = check(page, key.sign(delta, LIST_TYPES["revocations"]), "revocations", key, held)
    assert result == {"ok": True, "version": 4, "keys": [], "revoked": ["bb" * 16, "cc" * 16]}


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("not a JWS", "unsigned"),
        ("tampered payload", "bad_list_signature"),
        ("another key", "unknown_list_key"),
        ("a code-signing key", "unknown_list_key"),
        ("extra header member", "bad_list_header"),
        ("revocations as trust", "wrong_list_type"),
        ("list member disagrees", "wrong_list_type"),
        ("retired list key", "list_key_retired"),
        ("issued before the key", "list_key_retired"),
        ("keys not an array", "malformed_list"),
    ],
)
def test_every_refusal(page: Page, case: str, code: str) -> None:
    key, other = ListKey(), ListKey()
    jwks = _ours(KeyRing.new(NOW - timedelta(days=1)).trusted(NOW))
    payload, typ = trust_payload(1, jwks, key), LIST_TYPES["trust"]
    signer, pinned, header = key, key, {}
    if case == "not a JWS":
        text = json.dumps(payload)
    else:
        if case == "another key":
            signer = other
        elif case == "a code-signing key":  # its kid is in the code trust list, not pinned
            signer, pinned = other, key
            payload["keys"].append(other.jwk)
        elif case == "extra header member":
            header = {"jku": "https://example.org/keys"}
        elif case == "revocations as trust":
            typ = LIST_TYPES["revocations"]
        elif case == "list member disagrees":
            payload["list"] = "revocations"
        elif case == "issued before the key":
            payload["issued_at"] = key.nbf - 1
        elif case == "keys not an array":
            payload["keys"] = {"kid": "x"}
        text = signer.sign(payload, typ, **header)
        if case == "tampered payload":
            head, _body, sig = text.split(".")
            text = f"{head}.{b64(json.dumps({**payload, 'version': 99}).encode())}.{sig}"
    jwk = {**pinned.jwk, "retired": AT - 1} if case == "retired list key" else pinned.jwk
    result = page.evaluate(CHECK, [text, "trust", {"keys": [jwk]}, None, AT])
    assert result == {"ok": False, "code": code}


def test_the_scanner_loads_signed_lists_and_verifies_with_them(
    page: Page, context: BrowserContext
) -> None:
    corpus = scan_corpus.build()
    key = ListKey()
    ours = [{**jwk, "region": "370000"} for jwk in corpus.jwks["keys"]]
    foreign = [scan_corpus.HUBEI_ISSUER.entry, scan_corpus.GUANGDONG_ISSUER.entry]
    regions = [scan_corpus.OURS, ff.HUBEI, ff.GUANGDONG]
    trust = key.sign(trust_payload(2, [*ours, *foreign], key, regions=regions), LIST_TYPES["trust"])
    revoked = [{"cti": r["token_id"], "at": AT} for r in corpus.revocations]
    revocations = {"list": "revocations", "version": 5, "issued_at": AT - 120, "revoked": revoked}
    served = {"trust-list": trust, "revocations": key.sign(revocations, LIST_TYPES["revocations"])}
    asked: list[str] = []

    def answer(route: Route) -> None:
        asked.append(route.request.url)
        name = route.request.url.split("/api/v1/")[1].split("?")[0]
        route.fulfill(status=200, content_type="application/jose", body=served[name])

    context.route("**/api/v1/trust-list?*", answer)
    context.route("**/api/v1/revocations?*", answer)
    verdicts = page.evaluate(
        """async ([pinned, corpus]) => {
          const lists = await import("/static/scanner/lists.js");
          const f = await import("/static/scanner/foreign.js");
          const v = await import("/static/scanner/verify.js");
          const held = await lists.loadLists({pinned, online: true, now: corpus.now});
          const again = await lists.loadLists({pinned, online: true, now: corpus.now});
          const reasons = [];
          for (const i of corpus.items) {
            const r = await f.verifyScan(i.text, {federation: again.federation,
              trust: again.trust, revoked: again.revoked, now: corpus.now, purposes: i.purposes});
            reasons.push((i.id_number === null ? r : v.checkPerson(r, i.id_number)).reason);
          }
          return {errors: held.errors.concat(again.errors), age: held.age, versions: again.versions,
                  reasons};
        }""",
        [{"keys": [key.jwk]}, corpus.for_js()],
    )
    assert verdicts["errors"] == []
    assert verdicts["age"] == 120
    assert verdicts["versions"] == {"trust": 2, "revocations": 5}
    assert verdicts["reasons"] == [i.expected for i in corpus.items]
    assert [u.split("/api/v1/")[1] for u in asked] == [
        "trust-list?format=signed",
        "revocations?format=signed",
        "trust-list?format=signed&since=2",
        "revocations?format=signed&since=5",
    ]
