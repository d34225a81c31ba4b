"""Issue 12's "Done when", end to end in Chromium.

A checkpoint's guard opens the offline scanner online (its lists kept), then the
network is cut. The scanner passes a resident's live code read off their phone's
screen, a paper pass an issuer printed (the PDF rasterised, its QR decoded) and the
resident's ID card typed with their code; it refuses an ID card with the same first
and last four digits, a screenshot (the same code shown again 45 s later) and a paper
pass revoked before the network was cut. Back online, the queued records go up once:
the server holds exactly those scans, and a second upload adds nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, expect

from healthcode.domain.identity import mask_id_number
from healthcode.domain.tokens import DEVICE_PREFIX
from healthcode.domain.tokens.attestation import decode_presentation
from tests.factories.inputs import id_number
from tests.factories.paper import read_paper_qr
from tests.web.conftest import new_context, new_phone
from tests.web.flows import declare_and_confirm, read_qr, sign_in
from tests.web.live import START, LiveServer
from tests.web.organisations.staff import desk, fill_counter
from tests.web.organisations.staff import staff_sign_in as issuer_sign_in
from tests.web.scanning.offline import (
    QUEUE,
    REQUEUE_AND_UPLOAD,
    Checkpoint,
    open_scanner,
    recorded,
    scan,
)
from tests.web.test_a11y import check_page


def print_pass(issuer: Page) -> str:
    """The issuer decides a counter application green and prints its paper pass; the
    QR code's text as a scanner reads it off the PDF."""
    fill_counter(issuer)
    issuer.click("form button.primary")
    expect(issuer.locator("h1")).to_have_text("已签发的通行卡")
    with issuer.expect_download() as download:
        issuer.get_by_role("button", name="打印纸质通行卡（PDF）").click()
    return read_paper_qr(download.value.path().read_bytes())


def revoke_last_pass(issuer: Page) -> None:
    issuer.get_by_role("link", name="本申请的纸质通行卡").click()
    passes = issuer.locator(".paper-passes")
    passes.locator("input[name=reason]").fill("群众报告卡片遗失")
    passes.get_by_role("button", name="撤销").click()
    expect(passes.locator("li")).to_contain_text("群众报告卡片遗失")


def presented_at(code: str) -> datetime:
    return datetime.fromtimestamp(decode_presentation(code).at, UTC)


def lookalike(number: str) -> str:
    """Another ID number with the same first and last four characters."""
    middle = number[4:14]
    other = "".join("1" if c == "0" else "0" for c in middle)
    return number[:4] + other + number[14:]


def test_issue_12_done_when(
    browser: Browser,
    scanner_context: BrowserContext,
    server: LiveServer,
    checkpoint: Checkpoint,
) -> None:
    server.clock.set(START + timedelta(minutes=30))  # the key has signed for half an hour
    uploads: list[dict[str, Any]] = []
    scanner_context.on(
        "request",
        lambda r: uploads.append(r.post_data_json or {}) if "/scanner/scans" in r.url else None,
    )

    # An issuer prints two paper passes and revokes the second (online, before the cut).
    issuer_context = new_context(browser, server)
    issuer = issuer_context.new_page()
    issuer_sign_in(issuer, server, desk(server).issuers[0], then="/staff/counter")
    paper = print_pass(issuer)
    revoked = print_pass(issuer)
    revoke_last_pass(issuer)
    issuer_context.close()

    # A resident signed in on their phone, showing their live code.
    holder = id_number()
    phone_context = new_context(browser, server)
    phone = phone_context.new_page()
    sign_in(phone, server, new_phone())
    declare_and_confirm(phone, id_number=holder)
    expect(phone.locator("[data-device-until]")).to_be_visible()

    # The checkpoint opens the scanner online, then the network is cut.
    page = open_scanner(scanner_context, server, checkpoint)
    scanner_context.set_offline(True)
    page.reload()  # the page, its modules and its lists all come from the device
    expect(page.locator("[data-scanner][data-ready=true]")).to_be_attached()
    result, word = page.locator("#scan-result"), page.locator("#scan-word")
    page.fill("#id-number", "370102198001011234")
    page.press("#id-number", "Enter")  # a card before any code: the page asks for the code
    expect(page.locator("#id-error")).to_have_text("请先扫码，再核对身份证。")

    # (a) the resident's code, read off their screen, then (c) their ID card.
    code = read_qr(phone)
    assert code.startswith(DEVICE_PREFIX)
    page.clock.set_fixed_time(presented_at(code) + timedelta(seconds=2))
    scan(page, code)
    expect(result).to_have_attribute("data-verdict", "valid")
    expect(word).to_have_text("绿码")
    expect(page.locator("#scan-action")).to_have_text(
        "进行健康检查后，点击确认放行。"
    )  # the policy's words
    expect(page.locator("#scan-who")).to_contain_text(mask_id_number(holder))
    expect(page.locator("#id-error")).to_be_hidden()
    check_page(page)
    page.fill("#id-number", "  ")
    page.press("#id-number", "Enter")
    expect(page.locator("#id-error")).to_have_text("请输入身份证号码，或用读卡器读取身份证。")
    page.fill("#id-number", holder.lower())  # as typed; a reader gives upper case
    page.press("#id-number", "Enter")
    expect(page.locator("#scan-card")).to_have_text("已核对身份证：完整号码与此码一致。")
    expect(result).to_have_attribute("data-verdict", "valid")
    expect(result).to_have_attribute("data-lane", "id_card")

    again = read_qr(phone)  # the next person shows the same phone with another card
    page.clock.set_fixed_time(presented_at(again) + timedelta(seconds=2))
    scan(page, again)
    expect(result).to_have_attribute("data-lane", "")  # the new scan's screen
    expect(result).to_have_attribute("data-verdict", "valid")
    expect(page.locator("#scan-card")).to_have_text("")
    page.fill("#id-number", lookalike(holder))
    page.press("#id-number", "Enter")
    expect(result).to_have_attribute("data-verdict", "refused")
    expect(result).to_have_attribute("data-reason", "wrong_person")
    expect(word).to_have_text("无效码")
    expect(page.locator("#scan-action")).to_have_text("拦停：不得放行")
    expect(page.locator("#scan-card")).to_have_text("已核对身份证：不是此码的持有人。")
    check_page(page)
    phone_context.close()

    # (b) the printed paper pass.
    scan(page, paper)
    expect(result).to_have_attribute("data-verdict", "valid")
    expect(word).to_have_text("绿码")

    # (d) a screenshot: the first code shown again 45 s after it was made.
    page.clock.set_fixed_time(presented_at(code) + timedelta(seconds=45))
    scan(page, code)
    expect(result).to_have_attribute("data-reason", "presentation_stale")
    expect(word).to_have_text("无效码")
    check_page(page)

    # (e) the revoked paper pass, refused from the revocation list the scanner kept.
    scan(page, revoked)
    expect(result).to_have_attribute("data-reason", "revoked")
    check_page(page)

    expect(page.locator("#scanner-queue")).to_have_attribute("data-waiting", "5")
    queue = page.evaluate(QUEUE)
    assert uploads == []
    lanes = [r["lane"] for r in sorted(queue, key=lambda r: r["scanned_at"])]
    assert lanes.count("id_card") == 2

    # The network comes back: the records go up once.
    server.clock.set(presented_at(code) + timedelta(minutes=1))
    scanner_context.set_offline(False)
    expect(page.locator("#scanner-queue")).to_have_attribute("data-waiting", "0")
    assert len(uploads) == 1
    stored = recorded(server, checkpoint)
    assert sorted(stored) == sorted(r["client_id"] for r in queue)
    # The server verified each code again at its scan time and agrees with the page,
    # the ID card the page found another person's included (the number never left it).
    page_says = {r["client_id"]: r["reason"] for r in queue}
    assert page_says == stored
    assert sorted(v or "valid" for v in stored.values()) == sorted(
        ["valid", "valid", "wrong_person", "presentation_stale", "revoked"]
    )

    # The answer was lost: the same records go up again and nothing is stored twice.
    outcome = page.evaluate(REQUEUE_AND_UPLOAD, queue)
    assert sorted(outcome["duplicates"]) == sorted(stored)
    assert outcome["accepted"] == []
    assert len(uploads) == 2
    assert recorded(server, checkpoint) == stored
    expect(page.locator("#scanner-queue")).to_have_attribute("data-waiting", "0")
