"""The issuer prints a paper pass for a person without a phone, in Chromium: the
downloaded PDF's QR verifies; revoked from the application screen (a reason is
required), it is refused as revoked."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWorkFactory
from tests.factories.paper import read_paper_qr
from tests.web.flows import verify
from tests.web.live import LiveServer
from tests.web.organisations.staff import desk, fill_counter, staff_sign_in
from tests.web.test_a11y import check_page


def test_print_at_the_counter_then_revoke(page: Page, server: LiveServer) -> None:
    here = desk(server)
    staff_sign_in(page, server, here.issuers[0], then="/staff/counter")
    fill_counter(page)
    page.click("form button.primary")
    expect(page.locator("h1")).to_have_text("已签发的通行卡")
    with page.expect_download() as download:
        page.get_by_role("button", name="打印纸质通行卡（PDF）").click()
    pdf = download.value.path().read_bytes()
    token = read_paper_qr(pdf)
    assert verify(server, token)["valid"] is True

    page.get_by_role("link", name="本申请的纸质通行卡").click()
    listed = page.locator(".paper-passes li")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("绿码")
    check_page(page)
    listed.get_by_role("button", name="撤销").click()
    expect(page.locator(".paper-passes .error")).to_contain_text("请填写撤销原因")
    check_page(page)
    page.locator(".paper-passes input[name=reason]").fill("群众报告卡片遗失")
    page.locator(".paper-passes").get_by_role("button", name="撤销").click()
    expect(page.locator(".paper-passes li")).to_contain_text("群众报告卡片遗失")
    result = verify(server, token)
    assert (result["valid"], result["reason"]) == (False, "revoked")


def test_the_daily_report_entered_at_the_counter(page: Page, server: LiveServer) -> None:
    """The card holder has no app: the issuer enters what they report in person or by phone."""
    here = desk(server)
    staff_sign_in(page, server, here.issuers[0], then="/staff/counter")
    fill_counter(page)
    number = page.input_value("#id_number")
    page.click("form[action='/staff/counter'] button.primary")
    # a later day: the officer finds the card holder's pass by the ID number
    page.goto("/staff/counter")
    page.fill("#find_id_number", "370102199001011234")
    page.get_by_role("button", name="查找其通行卡").click()
    expect(page.locator("#find_id_number-error")).to_be_visible()
    page.fill("#find_id_number", number)
    page.get_by_role("button", name="查找其通行卡").click()
    expect(page.locator("h1")).to_contain_text("李四")
    expect(page.locator(".facts")).to_contain_text("今日尚未健康上报")
    page.get_by_role("link", name="录入今日健康上报（现场或电话）").click()
    expect(page.locator(".banner.whose")).to_contain_text("李*")
    check_page(page)
    page.get_by_role("button", name="提交今日上报").click()
    expect(page.locator(".error").first).to_contain_text("体温")  # nothing ticked yet
    page.click(".chip:has-text('36.5')")
    page.get_by_role("button", name="提交今日上报").click()
    expect(page.locator(".banner.ok")).to_have_text("今日健康上报已录入。")
    expect(page.locator(".facts")).to_contain_text("36.5 ℃")
    page.get_by_role("link", name="录入今日健康上报（现场或电话）").click()
    page.click(".chip:has-text('36.5')")
    page.get_by_role("button", name="提交今日上报").click()
    expect(page.locator("[role=alert]").first).to_contain_text("您今天已上报")


def test_a_counter_form_sent_twice_signs_one_application(page: Page, server: LiveServer) -> None:
    """A double click (or a resend after a slow answer) entered and signed two
    applications for one person, and the first screen's print button then failed."""
    here = desk(server)
    staff_sign_in(page, server, here.issuers[0], then="/staff/counter")
    fill_counter(page)
    sent = page.evaluate(
        "() => new URLSearchParams(new FormData(document.querySelector("
        "\"form[action='/staff/counter']\"))).toString()"
    )
    form = {"content-type": "application/x-www-form-urlencoded"}
    answers = [page.request.post("/staff/counter", data=sent, headers=form) for _ in range(2)]
    assert [a.status for a in answers] == [200, 200]
    assert "已签发的通行卡" in answers[1].text()
    assert answers[1].headers.get("idempotent-replayed") == "true"
    units: UnitOfWorkFactory = server.app.state.uow_factory
    with units() as uow:
        entered = uow.session.scalars(
            select(t.Declaration).where(t.Declaration.organisation_id == here.organisation_id)
        ).all()
    assert len(entered) == 1


def test_the_error_summary_names_each_field(page: Page, server: LiveServer) -> None:
    """ "此项为必填" in the summary did not say which field; each item now names it."""
    here = desk(server)
    staff_sign_in(page, server, here.issuers[0], then="/staff/counter")
    page.click("form[action='/staff/counter'] button.primary")
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("a[href='#name']")).to_have_text("姓名：此项为必填")
    expect(summary.locator("a[href='#id_number']")).to_contain_text("身份证号：")
    check_page(page)
