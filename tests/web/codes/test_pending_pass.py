"""A pass awaiting its signature: no daily report and no appeal anywhere, since it
has no colour yet (issue 9 #5). Once an issuer signs it the report appears; the
appeal does only when a record or a manual colour is behind the colour, which an
appeal can dispute (an issuer's signature alone it cannot: the page offered one that
listed nothing, stop 28)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.web.conftest import new_phone
from tests.web.flows import declare_and_confirm, sign_in, sign_pass
from tests.web.live import LiveServer

REPORT = "a[href='/codes/shandong-pass/report']"
APPEAL = "a[href='/codes/shandong-pass/appeal']"
POST_REPORT = """async () => {
  const token = document.querySelector("meta[name=csrf-token]").content;
  const body = new URLSearchParams({csrf_token: token, temperature: "36.5"});
  const r = await fetch("/codes/shandong-pass/report", {method: "POST", body});
  return new URL(r.url).pathname; }"""


def test_pending_offers_no_report_and_no_appeal(page: Page, server: LiveServer) -> None:
    phone = new_phone()
    sign_in(page, server, phone)
    declare_and_confirm(page, "shandong-pass")

    page.goto("/codes/shandong-pass")
    expect(page.locator(".code-card .colour strong")).to_have_text("待审核")
    expect(page.locator(REPORT)).to_have_count(0)
    expect(page.locator(APPEAL)).to_have_count(0)
    page.goto("/")
    expect(page.locator(REPORT)).to_have_count(0)
    page.goto("/codes/shandong-pass/report")
    expect(page).to_have_url(f"{server.url}/codes/shandong-pass")
    assert page.evaluate(POST_REPORT) == "/codes/shandong-pass"  # refused, not recorded
    answer = page.request.get("/api/v1/codes/shandong-pass")
    assert answer.json()["takes_reports"] is False

    sign_pass(server, phone)
    page.goto("/codes/shandong-pass")
    expect(page.locator(REPORT)).to_have_count(1)
    expect(page.locator(APPEAL)).to_have_count(0)
    page.goto("/")
    expect(page.locator(REPORT)).to_have_count(1)
