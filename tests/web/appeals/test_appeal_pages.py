"""The appeal in Chromium: a resident wrongly listed as a close contact appeals from the
code page with a photo; the health commission's officer upholds it; the resident
sees the timeline and is green again. Both sides' pages are axe-clean."""

from __future__ import annotations

import os
import uuid

from playwright.sync_api import Browser, FilePayload, Page, expect

from healthcode.services.accounts import login as accounts
from healthcode.services.accounts.permissions import Role
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWorkFactory
from tests.factories.appeals import PASSWORD, REASON, close_contact, fraud_finding
from tests.factories.images import PNG
from tests.web.conftest import new_context, new_phone
from tests.web.flows import declare_and_confirm, resident_of, sign_in
from tests.web.live import LiveServer
from tests.web.organisations.staff import staff_sign_in
from tests.web.test_a11y import check_page

EVIDENCE: FilePayload = {"name": "行程卡.png", "mimeType": "image/png", "buffer": PNG}
NOTE = "经核查该居民当日不在通报场所，撤销密接记录"


def list_as_close_contact(server: LiveServer, phone: str) -> None:
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    resident = resident_of(server, phone)
    with units() as uow:
        close_contact(uow, env, resident)


def listed_resident(page: Page, server: LiveServer) -> None:
    """A resident signed in on ``page`` with a Binzhou code, then listed as a close
    contact."""
    phone = new_phone()
    sign_in(page, server, phone)
    declare_and_confirm(page)
    list_as_close_contact(server, phone)
    # the welcome page watches its colour and reloads when it changes: that reload
    # raced the test's next navigation on a slow machine and won; let it land first
    page.goto("/codes/binzhou-code")
    expect(page.locator("main")).to_contain_text("红码")


def officer(server: LiveServer, scope: str, role: Role = Role.DATA_OPERATOR) -> str:
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    username = f"appeals.{os.getpid()}.{uuid.uuid4().hex[:6]}"
    with units() as uow:
        accounts.create_staff(
            uow,
            env,
            username=username,
            password=PASSWORD,
            display_name="卫健委 王芳",
            roles=[(role, scope)],
        )
    return username


def test_a_wrongly_listed_resident_appeals_and_is_green_again(
    page: Page, server: LiveServer, browser: Browser
) -> None:
    listed_resident(page, server)
    page.goto("/codes/binzhou-code")
    page.click("a[href='/codes/binzhou-code/appeal']")
    page.wait_for_url("**/codes/binzhou-code/appeal")
    expect(page.locator("fieldset")).to_contain_text("密切接触者")
    expect(page.locator("fieldset")).to_contain_text("卫生健康部门")
    check_page(page)
    page.click("button.primary")  # nothing chosen: the browser asks first
    page.check("input[name=subject]")
    page.fill("#reason", "错了")
    page.set_input_files("#evidence", files=[EVIDENCE])
    page.evaluate("document.querySelector('#reason').removeAttribute('minlength')")
    page.click("button.primary")
    expect(page.locator("#reason-error")).to_be_visible()  # the server's own refusal
    summary = page.locator("#error-summary a[href='#reason']")
    expect(summary).to_contain_text("哪里有误：")  # the label's own "？" not read twice
    check_page(page)
    page.check("input[name=subject]")
    page.fill("#reason", REASON)
    page.set_input_files("#evidence", files=[EVIDENCE])
    page.click("button.primary")
    page.wait_for_url("**/appeals/*?sent=1")
    expect(page.locator(".timeline li")).to_have_count(2)
    check_page(page)
    appeal_url = page.url.split("?")[0]

    staff = new_context(browser, server).new_page()
    other = officer(server, "dept:police")
    staff_sign_in(staff, server, other, then="/staff/appeals")
    expect(staff.locator(".queue li")).to_have_count(0)
    staff.goto(appeal_url.replace(server.url, server.url + "/staff"))
    expect(staff.locator("h1")).not_to_have_text("申诉")  # another department: not found
    staff.context.clear_cookies()

    staff_sign_in(staff, server, officer(server, "dept:health"), then="/staff/appeals")
    check_page(staff)
    staff.click(".queue li a")
    staff.wait_for_url("**/staff/appeals/*")
    expect(staff.locator("main")).to_contain_text(REASON)
    check_page(staff)
    link = staff.locator("a[href$='/evidence']").get_attribute("href")
    sent = staff.request.get(f"{server.url}{link}")
    assert (sent.status, sent.body()) == (200, PNG)
    assert sent.headers["content-disposition"] == "attachment"
    staff.fill("#note", NOTE)
    staff.click("button[value=uphold]")
    staff.wait_for_url("**/staff/appeals?done=upheld")
    expect(staff.locator(".banner.ok")).to_be_visible()
    check_page(staff)

    page.goto(appeal_url)
    expect(page.locator(".timeline li")).to_have_count(4)
    expect(page.locator(".timeline")).to_contain_text(NOTE)
    expect(page.locator(".timeline li").last).to_contain_text("绿码")
    page.goto("/codes/binzhou-code")
    expect(page.locator("main")).to_contain_text("绿码")
    page.goto("/codes/binzhou-code/history")
    expect(page.locator(".timeline li").first).to_contain_text(NOTE)  # newest first
    check_page(page)


def test_a_fraud_finding_is_appealed_and_upheld_by_an_officer_who_reviews_fraud(
    page: Page, server: LiveServer, browser: Browser
) -> None:
    """The fraud rule's next step sends the resident to "我的申诉": the finding is
    listed there by its kind, and an officer who reviews fraud in the region (not a
    department's) upholds it; the code is green again."""
    phone = new_phone()
    sign_in(page, server, phone)
    declare_and_confirm(page)
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    with units() as uow:
        fraud_finding(uow, env, resident_of(server, phone))
    page.goto("/codes/binzhou-code")
    expect(page.locator("main")).to_contain_text("红码")
    page.click("a[href='/codes/binzhou-code/appeal']")
    page.wait_for_url("**/codes/binzhou-code/appeal")
    expect(page.locator("fieldset")).to_contain_text("失信认定：冒用他人健康码")
    check_page(page)
    page.check("input[name=subject]")
    page.fill("#reason", REASON)
    page.click("button.primary")
    page.wait_for_url("**/appeals/*?sent=1")
    expect(page.locator("main")).to_contain_text("失信认定：冒用他人健康码")
    appeal_url = page.url.split("?")[0]

    staff = new_context(browser, server).new_page()
    staff_sign_in(staff, server, officer(server, "dept:health"), then="/staff/appeals")
    expect(staff.locator(".queue li")).to_have_count(0)  # a department's officer: not theirs
    staff.context.clear_cookies()
    staff_sign_in(
        staff, server, officer(server, "region:371602", Role.ADMIN), then="/staff/appeals"
    )
    staff.click(".queue li a")
    staff.wait_for_url("**/staff/appeals/*")
    expect(staff.locator("main")).to_contain_text("失信认定：冒用他人健康码")
    check_page(staff)
    staff.fill("#note", "复核卡口录像，两次扫码均为本人，设备时钟有误，撤销认定")
    staff.click("button[value=uphold]")
    staff.wait_for_url("**/staff/appeals?done=upheld_credit")

    page.goto(appeal_url)
    expect(page.locator(".timeline li").last).to_contain_text("绿码")
    page.goto("/codes/binzhou-code")
    expect(page.locator("main")).to_contain_text("绿码")


def test_appealed_again_after_a_rejection_both_sides_see_the_first_appeal(
    page: Page, server: LiveServer, browser: Browser
) -> None:
    """The form did not say the record's appeal had been rejected, nor why; the officer
    deciding the second appeal did not see the first."""
    listed_resident(page, server)
    page.goto("/codes/binzhou-code/appeal")
    page.check("input[name=subject]")
    page.fill("#reason", REASON)
    page.click("button.primary")
    page.wait_for_url("**/appeals/*?sent=1")
    first = page.url.split("?")[0].rsplit("/", 1)[-1]

    staff = new_context(browser, server).new_page()
    staff_sign_in(staff, server, officer(server, "dept:health"), then="/staff/appeals")
    staff.goto(f"/staff/appeals/{first}")
    rejection = "经核查该居民确在通报时段到过该场所，维持原记录"
    staff.fill("#note", rejection)
    staff.click("button[value=reject]")
    staff.wait_for_url("**/staff/appeals?done=rejected")

    page.goto("/codes/binzhou-code/appeal")
    told = page.locator("#earlier-1")
    expect(told).to_contain_text("您此前已就此申诉")
    expect(told).to_contain_text("已驳回")
    expect(told).to_contain_text(rejection)
    expect(told.locator(f"a[href='/appeals/{first}']")).to_be_visible()
    check_page(page)
    page.check("input[name=subject]")
    page.fill("#reason", "我有新的证据：当天的考勤记录显示我全天在公司，请再次核查")
    page.click("button.primary")
    page.wait_for_url("**/appeals/*?sent=1")
    expect(page.locator("main")).to_contain_text("我此前就此提出的申诉")
    check_page(page)

    staff.goto("/staff/appeals")
    staff.click(".queue li a")
    staff.wait_for_url("**/staff/appeals/*")
    earlier = staff.locator("section[aria-labelledby=earlier-title]")
    expect(earlier).to_contain_text("该居民此前就此提出的申诉")
    expect(earlier).to_contain_text(rejection)
    expect(earlier).to_contain_text(REASON)
    check_page(staff)
    earlier.locator(f"a[href='/staff/appeals/{first}']").click()
    staff.wait_for_url(f"**/staff/appeals/{first}")
    expect(staff.locator("form[action$='/decision']")).to_have_count(0)  # decided already
