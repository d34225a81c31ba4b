"""One corpus, two verifiers: the browser's verify.js, run in real Chromium, gives the
same verdict and the same reason as the Python verifier for every code, at one ``now``."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.factories import scan_corpus
from tests.web.live import LiveServer

# The federated trust as a scanner holds it: the signed trust list (our region, Hubei
# with a P-256 certificate, Guangdong with RSA-PSS) checked against the pinned list key.
RUN_CORPUS = """async (corpus) => {
  const v = await import("/static/scanner/verify.js");
  const lists = await import("/static/scanner/lists.js");
  const f = await import("/static/scanner/foreign.js");
  const pinned = lists.listKeysFrom(corpus.list_keys);
  const payload = lists.verifySignedList(corpus.signed_trust, "trust", pinned, null, corpus.now);
  const federation = await f.federationFromList(await lists.applyTrust(null, payload));
  const revoked = v.revokedFromList(corpus.revocations);
  const out = [];
  for (const item of corpus.items) {
    let r = await f.verifyScan(item.text,
      {federation, revoked, now: corpus.now, purposes: item.purposes});
    if (item.id_number !== null) { r = v.checkPerson(r, item.id_number); }
    out.push({name: item.name, reason: r.reason, ok: r.ok, claims: r.claims,
              region: r.region ? r.region.name : null, colour: r.foreign ? r.colour : null});
  }
  return out;
}"""


def test_the_browser_and_python_verifiers_agree_on_every_code(
    page: Page, server: LiveServer
) -> None:
    corpus = scan_corpus.build()
    page.goto("/login")
    verdicts: list[dict[str, Any]] = page.evaluate(RUN_CORPUS, corpus.for_js())

    assert [v["name"] for v in verdicts] == [i.name for i in corpus.items]
    for item, browser in zip(corpus.items, verdicts, strict=True):
        python = corpus.python_verdict(item)
        assert (item.name, browser["reason"]) == (item.name, python)
        assert (item.name, python) == (item.name, item.expected)  # the corpus means it
        assert browser["ok"] is (python is None)
    refusals = {i.expected for i in corpus.items}
    assert len(refusals) >= 15  # every layer is exercised, not one reason many times


def test_a_refused_genuine_code_still_shows_whose_it_is(page: Page) -> None:
    corpus = scan_corpus.build()
    page.goto("/login")
    verdicts = page.evaluate(RUN_CORPUS, corpus.for_js())
    by_name = {v["name"]: v for v in verdicts}
    valid = by_name["valid device presentation"]["claims"]
    shown = (valid["colour"], valid["masked_name"], valid["purpose"])
    assert shown == ("green", "欧阳*锋", "device")
    expired = by_name["expired display token (a screenshot)"]["claims"]
    assert expired["masked_name"] == "张*"
    assert by_name["tampered signature"]["claims"] is None  # unsigned content is never shown


def test_another_regions_code_shows_its_region_claims_as_sent_and_colour(page: Page) -> None:
    corpus = scan_corpus.build()
    page.goto("/login")
    by_name = {v["name"]: v for v in page.evaluate(RUN_CORPUS, corpus.for_js())}
    hubei = by_name["valid Hubei code (ES256, P-256 certificate)"]
    assert (hubei["region"], hubei["colour"]) == ("湖北省", "yellow")  # -260/1/c = 1
    assert hubei["claims"]["-260"]["1"] == {"c": 1, "n": "李*", "t": "健康码"}
    guangdong = by_name["valid Guangdong code (PS256, RSA-PSS certificate)"]
    assert (guangdong["region"], guangdong["colour"]) == ("广东省", None)  # no colour rule
    assert by_name["tampered Hubei code"]["claims"] is None
    late = by_name["Hubei code signed before its certificate's validity"]
    assert (late["region"], late["claims"]["1"]) == ("湖北省", "CN-42")


def test_a_certificate_is_read_strictly(page: Page) -> None:
    """The DER reader takes the validity and key of a real certificate and refuses a
    truncated one, naming the field."""
    corpus = scan_corpus.build()
    page.goto("/login")
    entry = scan_corpus.HUBEI_ISSUER.entry
    read = page.evaluate(
        """async (entry) => {
          const f = await import("/static/scanner/foreign.js");
          const key = await f.keyFromJson(entry, "keys[0]");
          const cut = {...entry, x5c: [btoa(atob(entry.x5c[0]).slice(0, -10))]};
          let error = null;
          try { await f.keyFromJson(cut, "keys[1]"); } catch (e) { error = e.message; }
          return {type: key.type, notBefore: key.notBefore, notAfter: key.notAfter,
                  kid: key.kid, error};
        }""",
        entry,
    )
    python = corpus.held.keys[scan_corpus.HUBEI_ISSUER.kid]
    assert (read["notBefore"], read["notAfter"]) == (python.not_before, python.not_after)
    assert (read["type"], read["kid"]) == ("p256", scan_corpus.HUBEI_ISSUER.kid.hex())
    assert read["error"] == "keys[1].x5c[0]: DER value truncated"


def test_a_bad_trust_list_is_refused_with_the_member_named(page: Page) -> None:
    corpus = scan_corpus.build()
    page.goto("/login")
    jwks = corpus.jwks
    jwks["keys"][0]["kid"] = jwks["keys"][1]["kid"]  # another key's id
    error = page.evaluate(
        """async (jwks) => {
          const v = await import("/static/scanner/verify.js");
          try { v.trustFromJwks(jwks); return null; } catch (e) { return e.message; }
        }""",
        jwks,
    )
    assert error == "keys[0]: kid does not match the public key"
