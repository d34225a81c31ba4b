"""The checkpoint in Chromium without JavaScript help: a region's administrator
registers a venue and its guard on the pages, the guard reads a resident's on-screen
code (as a keyboard-wedge reader types it), releases with a temperature, and checks a
person with no phone by ID number. Every page state passes ``check_page``."""

from __future__ import annotations

import itertools
import os
import uuid

from playwright.sync_api import Browser, Page, expect

from healthcode.domain.scope import region_scope
from healthcode.services.accounts.login import create_staff
from healthcode.services.accounts.permissions import Role
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWorkFactory
from tests.factories.inputs import id_number
from tests.factories.organisations import organisation
from tests.factories.roster import employer_admin, set_suspended
from tests.factories.scanning import operator, venue
from tests.web.conftest import new_context, new_phone
from tests.web.flows import NO_WEBCRYPTO, declare_and_confirm, read_qr, sign_in
from tests.web.live import LiveServer
from tests.web.staff_flows import PASSWORD, staff_sign_in
from tests.web.test_a11y import check_page

_serial = itertools.count(1)


def region_admin(server: LiveServer) -> str:
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    username = f"venue.admin.{os.getpid()}.{next(_serial)}"
    with units() as uow:
        organisation(uow, env, name=f"黄河五路社区居民委员会{next(_serial)}")
        create_staff(
            uow, env, username=username, password=PASSWORD, display_name="区指挥部 王强",
            roles=[(Role.ADMIN, region_scope("371602"))],
        )  # fmt: skip
    return username


def register_venue_and_guard(page: Page, server: LiveServer) -> tuple[str, str]:
    """On the pages: a checkpoint and its guard's account. (venue id, guard's username)"""
    staff_sign_in(page, region_admin(server))
    page.goto("/staff/venues")
    check_page(page)
    page.click("form[action='/staff/venues'] button.primary")  # empty: every field named
    expect(page.locator("#organisation_id-error")).to_be_visible()
    check_page(page)
    page.locator("select#organisation_id").select_option(index=1)
    page.locator("select#kind").select_option("checkpoint")
    name = f"黄河五路卡口{next(_serial)}"
    page.fill("#name", name)
    page.fill("#address", "黄河五路与渤海七路路口")
    page.click("form[action='/staff/venues'] button.primary")
    page.wait_for_url("**/staff/venues/*")
    expect(page.locator("h1")).to_have_text(name)
    check_page(page)
    venue_id = page.url.rsplit("/", 1)[1]
    guard = f"guard.{os.getpid()}.{next(_serial)}"
    page.fill("#display_name", "门岗 张伟")
    page.fill("#username", guard)
    page.fill("#password", PASSWORD)
    page.click(f"form[action='/staff/venues/{venue_id}/operators'] button.primary")
    expect(page.locator("#operators ~ ul")).to_contain_text(guard)
    check_page(page)
    return venue_id, guard


def test_a_guard_scans_a_code_releases_with_a_temperature_and_checks_an_id_card(
    browser: Browser, page: Page, server: LiveServer
) -> None:
    venue_id, guard = register_venue_and_guard(page, server)
    phone_context = new_context(browser, server)
    phone_context.add_init_script(NO_WEBCRYPTO)
    phone = phone_context.new_page()
    number = id_number()
    sign_in(phone, server, new_phone())
    declare_and_confirm(phone, id_number=number)
    code = read_qr(phone)
    phone_context.close()

    gate = new_context(browser, server).new_page()
    staff_sign_in(gate, guard)
    gate.goto(f"/staff/venues/{venue_id}/scan")
    check_page(gate)
    gate.click(".scan-form button.primary")  # nothing read yet
    expect(gate.locator("#token-error")).to_have_text("请扫码，或输入身份证号码")
    check_page(gate)
    gate.fill("#token", code)  # a keyboard-wedge reader types the code's text
    gate.press("#token", "Enter")
    gate.wait_for_url("**/scans/*")
    result = gate.locator("#result")
    expect(result.locator("h1")).to_have_text("✓ 健康检查后放行")
    expect(result.locator(".colour-words")).to_have_text("绿码")
    expect(result.locator(".holder")).to_have_text("张*")
    expect(result.locator(".action")).to_contain_text("进行健康检查后，点击确认放行")
    check_page(gate)
    assert gate.locator(".verdict").evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 36
    gate.fill("#temperature", "36.5")
    gate.click("form.release button")
    expect(result.locator(".released")).to_contain_text("36.5 ℃")
    expect(gate.locator("form.release")).to_have_count(0)
    check_page(gate)
    scan_id = gate.url.rsplit("/", 1)[1]
    units: UnitOfWorkFactory = server.app.state.uow_factory
    with units() as uow:
        row = uow.scans.by_id(uuid.UUID(scan_id))
        assert row is not None
        assert (row.temperature, row.released_at is not None, row.lane) == (36.5, True, "camera")

    gate.fill("#id_number", number)  # the next person has no phone: the ID card
    gate.click(".scan-form button.primary")
    gate.wait_for_url(lambda url: url.rsplit("/", 1)[1] != scan_id)
    expect(gate.locator("#result h1")).to_have_text("✓ 健康检查后放行")
    expect(gate.locator("#result .holder")).to_have_text("张*")
    check_page(gate)
    gate.click("form.not-holder button")  # the card is not the person's: one tap
    expect(gate.locator("#result h1")).to_have_text("✕ 不予通行")
    expect(gate.locator("#result .flags")).to_contain_text("非本人持码：已立案核查。")
    expect(gate.locator("form.release")).to_have_count(0)
    check_page(gate)
    gate.fill("#id_number", number[:-1] + ("0" if number[-1] != "0" else "1"))
    gate.click(".scan-form button.primary")
    expect(gate.locator("#id_number-error")).to_be_visible()
    check_page(gate)


def test_a_suspended_organisations_gate_says_why_it_scans_nothing(
    page: Page, server: LiveServer
) -> None:
    """The guard's page, open when the suspension comes, is refused in words; reloaded,
    it offers no scan until the organisation is reactivated."""
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    with units() as uow:
        community = organisation(uow, env, name=f"渤海七路社区居民委员会{next(_serial)}")
        admin = employer_admin(uow, env, community.id)
        gate = venue(uow, env, admin, community.id, name="渤海七路卡口")
        guard = f"guard.{os.getpid()}.{next(_serial)}"
        operator(uow, env, admin, gate.id, username=guard)
    staff_sign_in(page, guard)
    page.goto(f"/staff/venues/{gate.id}/scan")

    def suspended(on: bool) -> None:
        with units() as uow:
            set_suspended(uow, env, community.id, on)

    suspended(True)
    page.fill("#token", "CNHC1:NOT-READ-BEFORE-THE-GATE-IS-CHECKED")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.press("#token", "Enter")
    assert answer.value.status == 409
    expect(page.locator("#scanning-paused")).to_have_text("本单位已被暂停，暂不能扫码核验")
    expect(page.locator(".scan-form")).to_have_count(0)
    check_page(page)
    page.goto(f"/staff/scanner?venue={gate.id}")
    expect(page.locator("#scanning-paused")).to_have_text("本单位已被暂停，暂不能扫码核验")

    suspended(False)
    page.goto(f"/staff/venues/{gate.id}/scan")
    expect(page.locator("#scanning-paused")).to_have_count(0)
    expect(page.locator(".scan-form")).to_be_visible()
