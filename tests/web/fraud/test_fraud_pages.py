"""The fraud case queue in Chromium: a resident's code is scanned at two gates 110 km
apart within minutes; officer A finds the case by its source, reads the evidence and
proposes to confirm; A's own approval is refused with the reason; officer B approves;
the resident's code is red. An officer of another region gets not found. The pages
are axe-clean, in Chinese by default and in English."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from healthcode.domain.clock import TZ
from healthcode.services.scanning import releases, scans
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWorkFactory
from tests.factories.organisations import organisation
from tests.factories.roster import employer_admin, region_admin
from tests.factories.scanning import display_token, operator, venue
from tests.web.conftest import new_context, new_phone
from tests.web.flows import declare_and_confirm, resident_of, sign_in
from tests.web.live import LiveServer
from tests.web.organisations.staff import staff_sign_in
from tests.web.test_a11y import check_page

REASON = "两处卡口相隔110公里，间隔4分钟，核实为他人冒用"


def scanned_far_apart(server: LiveServer, phone: str) -> None:
    """The resident's code at a Binzhou gate, then at a Jinan gate 4 minutes later."""
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    resident = resident_of(server, phone)
    with units() as uow:
        places = []
        for region, name, (lat, lon) in (
            ("371602", "黄河五路东门卡口", (37.3835, 117.9708)),
            ("370102", "历下区泉城路卡口", (36.6512, 117.1201)),
        ):
            org = organisation(uow, env, region=region)
            boss = employer_admin(uow, env, org.id)
            gate = venue(uow, env, boss, org.id, name=name, latitude=lat, longitude=lon)
            places.append((gate, operator(uow, env, boss, gate.id)))
    for gate, guard in places:
        with units() as uow:
            token = display_token(uow, env, resident)
            scans.scan_code(uow, env, guard, venue_id=gate.id, token=token)
        server.clock.advance(timedelta(minutes=4))


def officer(server: LiveServer, region: str) -> str:
    """A new administrator of ``region`` (who reviews fraud cases there)."""
    username = f"fraud.{os.getpid()}.{uuid.uuid4().hex[:6]}"
    with server.app.state.uow_factory() as uow:
        region_admin(uow, server.app.state.env, region, username=username)
    return username


def test_two_officers_confirm_a_duplicate_code_case_and_the_code_turns_red(
    page: Page, server: LiveServer, browser: Browser
) -> None:
    phone = new_phone()
    sign_in(page, server, phone)
    declare_and_confirm(page)
    scanned_far_apart(server, phone)

    a = new_context(browser, server).new_page()
    staff_sign_in(a, server, officer(server, "371602"), then="/staff/fraud")
    expect(a.locator("h1")).to_have_text("失信案件")
    check_page(a)
    a.select_option("#source", "contradiction")
    a.click("form.filters button")
    expect(a.locator(".queue li")).to_have_count(0)
    a.select_option("#source", "duplicate_token")
    a.select_option("#status", "open")
    a.click("form.filters button")
    item = a.locator(".queue li", has_text="数分钟内在相距较远的场所")
    expect(item).to_have_count(1)
    item.locator("a").click()
    a.wait_for_url("**/staff/fraud/*")
    case_url = a.url
    expect(a.locator(".evidence")).to_contain_text("历下区泉城路卡口")
    expect(a.locator(".evidence")).to_contain_text("黄河五路东门卡口")
    check_page(a)
    a.check("#outcome-confirm")
    a.fill("#reason", "冒用")
    a.evaluate("document.querySelector('#reason').removeAttribute('minlength')")
    a.click("#propose button.primary")
    expect(a.locator("#reason-error")).to_be_visible()  # the server's own refusal
    check_page(a)
    a.check("#outcome-confirm")
    a.fill("#reason", REASON)
    a.click("#propose button.primary")
    a.wait_for_url("**?done=proposed")
    expect(a.locator("#mine")).to_be_visible()
    a.click("button[value=approve]")  # the proposer tries to approve: refused, with why
    expect(a.locator("#error-summary")).to_contain_text("须由另一名工作人员决定")
    expect(a.locator("#case-status")).to_contain_text("等待第二名工作人员审核")
    check_page(a)

    stranger = new_context(browser, server).new_page()
    staff_sign_in(stranger, server, officer(server, "370102"), then="/staff/fraud")
    expect(stranger.locator(".queue li")).to_have_count(0)
    stranger.goto(case_url)
    expect(stranger.locator("h1")).not_to_have_text("失信案件")

    b = new_context(browser, server, locale="en-US").new_page()
    staff_sign_in(b, server, officer(server, "371602"), then="/staff/fraud")
    expect(b.locator("h1")).to_have_text("Fraud cases")  # English for an English browser
    b.goto(case_url)
    expect(b.locator("main")).to_contain_text(REASON)
    check_page(b)
    b.click("button[value=approve]")
    b.wait_for_url("**/staff/fraud?done=confirmed")
    expect(b.locator(".banner.ok")).to_contain_text("credit record")
    check_page(b)

    page.goto("/codes/binzhou-code")
    expect(page.locator("main")).to_contain_text("红码")
    page.goto("/codes/binzhou-code/history")  # the finding in the resident's words, no case id
    expect(page.locator(".override-note").first).to_have_text(f"经两名工作人员核实：{REASON}")
    page.goto("/notifications")
    expect(page.locator("main")).to_contain_text("诚信记录")


def test_a_gate_report_and_a_screenshot_flag_read_in_words_and_local_time(
    page: Page, server: LiveServer, browser: Browser
) -> None:
    """A "not the holder" report and one on-screen code read at two gates: the case
    pages showed a 500 (those flags have no venue, or no distance), and otherwise raw
    codes and UTC times."""
    phone = new_phone()
    sign_in(page, server, phone)
    declare_and_confirm(page)
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    resident = resident_of(server, phone)
    with units() as uow:
        org = organisation(uow, env, region="371602")
        boss = employer_admin(uow, env, org.id)
        gates = [venue(uow, env, boss, org.id, name=n) for n in ("西门卡口", "东门卡口")]
        guards = [operator(uow, env, boss, g.id) for g in gates]
        token = display_token(uow, env, resident)
    for gate, guard in zip(gates, guards, strict=True):
        with units() as uow:
            scanned = scans.scan_code(uow, env, guard, venue_id=gate.id, token=token)
        server.clock.advance(timedelta(minutes=2))
    with units() as uow:
        releases.report_not_the_holder(uow, env, guards[1], scan_id=scanned.id)
    at = (server.clock.now() - timedelta(minutes=4)).astimezone(TZ).strftime("%H:%M")

    with units() as uow:
        query = select(t.FraudCase.id, t.FraudCase.cause).where(t.FraudCase.resident_id == resident)
        cases = dict(uow.session.execute(query).all())
    assert sorted(cases.values()) == ["not_the_holder", "same_token_elsewhere"]

    a = new_context(browser, server).new_page()
    staff_sign_in(a, server, officer(server, "371602"), then="/staff/fraud")
    for case, cause in cases.items():
        a.goto(f"/staff/fraud/{case}")
        expect(a.locator("h1")).to_have_text("失信案件")
        evidence = a.locator(".evidence")
        expect(evidence).to_contain_text("扫码记录")
        expect(evidence).to_contain_text("健康码显示：绿码")
        expect(evidence).not_to_contain_text("green")
        expect(evidence).not_to_contain_text("not_the_holder")
        if cause == "same_token_elsewhere":
            expect(evidence).to_contain_text(f"{at} 也在西门卡口被扫码")
        check_page(a)
