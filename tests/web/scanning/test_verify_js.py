"""One corpus, two verifiers: the browser's verify.js, run in real Chromium, gives the
same verdict and the same reason as the Python verifier for every code, at one ``now``."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.factories import scan_corpus
from tests.web.live import LiveServer

RUN_CORPUS = """async (corpus) => {
  const v = await import("/static/scanner/verify.js");
  const trust = v.trustFromJwks(corpus.jwks);
  const revoked = v.revokedFromList(corpus.revocations);
  return corpus.items.map((item) => {
    let r = v.verifyAny(item.text, {trust, revoked, now: corpus.now, purposes: item.purposes});
    if (item.id_number !== null) { r = v.checkPerson(r, item.id_number); }
    return {name: item.name, reason: r.reason, ok: r.ok, claims: r.claims};
  });
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
