"""The notification centre in Chromium: residents and staff, phone and desktop, with
and without JavaScript; everyone sees only their own."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import new_context, new_phone
from tests.web.flows import declare_and_confirm, sign_in
from tests.web.live import LiveServer
from tests.web.notices.steps import issuer_with_waiting, sign_in_staff, tell_more_needed
from tests.web.test_a11y import check_page

BADGE = "header a[href='/notifications'] .badge"
DESKTOP = {"width": 1280, "height": 900}


def check_both_sizes(page: Page) -> None:
    for size in ({"width": 390, "height": 844}, DESKTOP):
        page.set_viewport_size(size)  # type: ignore[arg-type]
        check_page(page)


class TestResident:
    def test_unread_count_open_mark_one_then_all_without_javascript(
        self, browser: Browser, server: LiveServer
    ) -> None:
        context = new_context(browser, server, java_script_enabled=False)
        page = context.new_page()
        phone = new_phone()
        sign_in(page, server, phone)
        declare_and_confirm(page, temperature="37.5")
        server.clock.advance(timedelta(minutes=5))
        tell_more_needed(server, phone, ["今日体温", "返回日期"])
        page.goto("/notifications")
        expect(page.locator(BADGE)).to_have_text("2")
        cards = page.locator("ul.timeline > li")
        expect(cards).to_have_count(2)
        expect(cards.first).to_contain_text("您的申请需要补充信息")  # newest first
        expect(cards.first).to_contain_text("今日体温; 返回日期")
        audited = new_context(browser, server, storage_state=context.storage_state())
        audit = audited.new_page()  # axe needs JavaScript: the same session, with it
        audit.goto("/notifications")
        check_both_sizes(audit)
        audited.close()
        cards.first.get_by_role("button", name="标为已读").click()
        expect(page.locator(BADGE)).to_have_text("1")
        expect(page.locator("ul.timeline > li.unread")).to_have_count(1)
        page.get_by_role("button", name="全部标为已读").click()
        expect(page.locator(BADGE)).to_have_count(0)
        expect(page.locator(".inbox-summary")).to_have_text("全部已读")
        page.locator("ul.timeline > li").last.get_by_role("link", name="查看").click()
        expect(page).to_have_url(f"{server.url}/codes/binzhou-code#why")
        context.close()

    def test_a_resident_sees_no_staff_message(self, page: Page, server: LiveServer) -> None:
        issuer_with_waiting(server)
        sign_in(page, server, new_phone())
        page.goto("/notifications")
        expect(page.locator("main")).to_contain_text("暂无消息")
        expect(page.locator("main")).not_to_contain_text("等待您审核")


class TestStaff:
    def test_the_issuer_reads_one_batched_message_and_it_leads_to_the_queue(
        self, browser: Browser, server: LiveServer
    ) -> None:
        username = issuer_with_waiting(server, applications=3)
        context = new_context(browser, server)
        sign_in_staff(context, server, username)
        page = context.new_page()
        page.goto("/notifications")
        expect(page.locator(BADGE)).to_have_text("1")
        [card] = page.locator("ul.timeline > li").all()
        expect(card).to_contain_text("有 3 份申请等待您审核")
        expect(card).to_contain_text("泉城路社区居民委员会")
        expect(card.get_by_role("link", name="查看")).to_have_attribute("href", "/staff/queue")
        check_both_sizes(page)
        context.close()

    def test_an_issuer_of_another_community_has_nothing(
        self, browser: Browser, server: LiveServer
    ) -> None:
        issuer_with_waiting(server)
        stranger = issuer_with_waiting(server, applications=0)
        context = new_context(browser, server)
        sign_in_staff(context, server, stranger)
        page = context.new_page()
        page.goto("/notifications")
        expect(page.locator("main")).to_contain_text("暂无消息")
        context.close()
