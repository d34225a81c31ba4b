"""Venue self check-in in Chromium: the venue's printed code (read off the staff's
printable page with zxing-cpp) is filmed by the resident's fake camera; the 扫一扫 page
reads it and opens the venue's page; the check-in is recorded with the colour."""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from playwright.sync_api import Browser, Page, expect

from healthcode.domain.scope import org_scope
from healthcode.services.accounts.login import create_staff
from healthcode.services.accounts.permissions import Role
from healthcode.services.accounts.sessions import principal_of
from healthcode.services.organisations.authorisations import grant
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWorkFactory
from tests.factories.organisations import organisation
from tests.factories.qr import decode
from tests.factories.scanning import venue
from tests.web.conftest import new_context, new_phone
from tests.web.flows import declare_and_confirm, fill_declaration, sign_in
from tests.web.live import LiveServer
from tests.web.scanning.conftest import CameraBrowser
from tests.web.staff_flows import PASSWORD, staff_sign_in
from tests.web.test_a11y import check_page


@dataclass(frozen=True)
class Venue:
    id: uuid.UUID
    code: str
    name: str
    admin: str  # the username of its organisation's administrator


def add_venue(server: LiveServer, name: str) -> Venue:
    """A market run by a community, registered by the community's administrator."""
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    username = f"market.admin.{os.getpid()}.{uuid.uuid4().hex[:6]}"
    with units() as uow:
        community = organisation(uow, env, name=f"{name}所在社区")
        account = create_staff(
            uow, env, username=username, password=PASSWORD, display_name="场所管理员",
            roles=[(Role.ORG_ADMIN, org_scope(community.id))],
        )  # fmt: skip
        grant(
            uow, env, account_id=account.id, organisation_id=community.id,
            role=Role.ORG_ADMIN, name="王芳",
        )  # fmt: skip
        admin = principal_of(uow, account_id=account.id)
        made = venue(uow, env, admin, community.id, name=name)
        return Venue(made.id, made.code, made.name, username)


def printed_link(browser: Browser, server: LiveServer, place: Venue) -> str:
    """What a phone reads from the venue's printable code page."""
    staff = new_context(browser, server)
    try:
        page = staff.new_page()
        staff_sign_in(page, place.admin)
        page.goto(f"/staff/venues/{place.id}/code")
        expect(page.locator("h1")).to_have_text(place.name)
        check_page(page)
        text: str = decode(page.locator(".poster-qr svg").screenshot()).text
        return text
    finally:
        staff.close()


def scans_of(server: LiveServer, place: Venue) -> list[t.Scan]:
    units: UnitOfWorkFactory = server.app.state.uow_factory
    with units() as uow:
        rows = list(uow.scans.of_venue(place.id))
        uow.session.expunge_all()
        return rows


def scan_with_camera(page: Page, place: Venue) -> None:
    """From the code page: 扫一扫, open the camera; the venue's page opens."""
    page.get_by_role("link", name="扫一扫场所码").click()
    page.wait_for_url("**/scan")
    page.get_by_role("button", name="打开摄像头").click()
    page.wait_for_url(f"**/v/{place.code}", timeout=15_000)


def test_a_green_resident_scans_the_printed_code_and_the_entry_is_recorded(
    browser: Browser, camera_browser: CameraBrowser, server: LiveServer
) -> None:
    place = add_venue(server, "银座超市黄河五路店")
    link = printed_link(browser, server, place)
    assert link == f"{server.url}/v/{place.code}"

    page = new_context(camera_browser(link), server).new_page()
    sign_in(page, server, new_phone())
    declare_and_confirm(page)
    page.goto("/codes/binzhou-code")
    scan_with_camera(page, place)
    expect(page.locator("#venue-name")).to_have_text(place.name)
    check_page(page)
    page.locator("form.jump button").click()
    expect(page.locator("h1")).to_have_text("欢迎光临，已登记进入")
    expect(page.locator(".check-in")).to_contain_text(place.name)
    expect(page.locator(".check-in")).to_contain_text("绿码")
    expect(page.locator(".check-in")).to_contain_text("登记时间：2020-02-23")
    check_page(page)

    [scan] = scans_of(server, place)
    assert (scan.lane, scan.colour, scan.operator_id) == ("self_check_in", "green", None)
    assert scan.resident_id is not None

    page.reload()  # the form is posted again: one record
    expect(page.locator(".check-in")).to_contain_text("刚才已登记")
    assert len(scans_of(server, place)) == 1


def test_a_red_resident_signs_in_on_the_way_and_is_told_not_to_enter(
    camera_browser: CameraBrowser, server: LiveServer
) -> None:
    place = add_venue(server, "滨州市人民医院发热门诊")
    context = new_context(camera_browser(f"{server.url}/v/{place.code}"), server)
    page = context.new_page()
    phone = new_phone()
    sign_in(page, server, phone)
    fill_declaration(page)
    page.check("#exposure-close_contact")
    page.click("button[value=submit]")
    page.wait_for_url("**/declarations/*")
    page.click("form.actions button.primary")
    page.wait_for_url("**/codes/binzhou-code?welcome=1")
    server.clock.advance(timedelta(minutes=2))  # past the cooldown of a new login code
    page.goto("/scan")
    context.clear_cookies()  # signed out: the venue's page asks to sign in first
    page.get_by_role("button", name="打开摄像头").click()
    page.wait_for_url(re.compile(r"/login\?next=.*v"), timeout=15_000)
    page.fill("#phone", phone)
    page.click("form[action='/login/code'] button.primary")
    page.fill("#code", server.sms.sent[phone])
    page.click("form[action='/login'] button.primary")
    page.wait_for_url(f"**/v/{place.code}")

    page.locator("form.jump button").click()
    expect(page.locator("h1")).to_have_text("请勿进入")
    expect(page.locator(".check-in")).to_contain_text("红码")
    expect(page.locator("#next-step")).not_to_be_empty()
    check_page(page)
    [scan] = scans_of(server, place)
    assert (scan.lane, scan.colour) == ("self_check_in", "red")
