"""The confirmation page on a 390 px phone: labels above values, and no value
(the masked ID number, the pledge time) broken in the middle of a token (issue 9 #7)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.web.conftest import new_phone
from tests.web.flows import fill_declaration, sign_in
from tests.web.live import LiveServer

# Every run of non-CJK, non-space characters inside a value, with the number of
# lines it is laid out on.
BROKEN_TOKENS = r"""() => {
  const broken = [];
  document.querySelectorAll("dl dd").forEach(dd => {
    const walker = document.createTreeWalker(dd, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(/[\x21-\x7e℃]+(?: [0-9:]+)?/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (tops.size > 1) { broken.push(m[0]); }
      }
    }
  });
  return broken; }"""
LABEL_ABOVE = """() => [...document.querySelectorAll("dl dt")].filter(dt => {
  const dd = dt.nextElementSibling;
  return dd.getBoundingClientRect().top < dt.getBoundingClientRect().bottom - 1;
}).map(dt => dt.textContent)"""


def test_values_keep_their_tokens_whole_on_a_phone(page: Page, server: LiveServer) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, server, new_phone())
    fill_declaration(page, "shandong-pass")
    page.click("button[value=submit]")
    page.wait_for_url("**/declarations/*")
    expect(page.locator("#birth-date")).to_be_visible()
    expect(page.locator("#sex")).to_be_visible()
    assert page.evaluate(LABEL_ABOVE) == []
    assert page.evaluate(BROKEN_TOKENS) == []
