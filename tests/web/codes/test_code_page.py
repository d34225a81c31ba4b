"""Declare, pledge, confirm, and show a code a scanner accepts (seed 003's manual)."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

from playwright.sync_api import BrowserContext, Page, expect

from healthcode.domain.clock import TZ
from tests.web.conftest import new_phone
from tests.web.flows import (
    NO_WEBCRYPTO,
    declare_and_confirm,
    read_qr,
    sign_in,
    sign_pass,
    verify,
)
from tests.web.live import LiveServer


class TestDeclareAndShow:
    def test_the_code_on_screen_verifies_as_green(self, page: Page, server: LiveServer) -> None:
        sign_in(page, server, new_phone())
        declare_and_confirm(page)

        expect(page.locator(".code-card .colour strong")).to_have_text("绿码")
        expect(page.locator(".code-card .icon")).to_have_text("✓")
        expect(page.locator("#code-status")).to_contain_text("绿码")
        result = verify(server, read_qr(page))
        assert result["valid"] is True
        assert result["claims"]["colour"] == "green"
        assert result["claims"]["masked_name"] == "张*"

    def test_first_view_explains_where_the_code_is_used(
        self, page: Page, server: LiveServer
    ) -> None:
        sign_in(page, server, new_phone())
        declare_and_confirm(page)

        guide = page.locator(".guide")
        for place in ("卡口", "复工", "学校", "社区", "商超", "发热门诊", "药店"):
            expect(guide).to_contain_text(place)
        guide.get_by_role("link").click()
        expect(page.locator(".guide")).to_have_count(0)
        expect(page.locator(".qr-box svg")).to_be_visible()

    def test_the_token_refreshes_by_itself(
        self, context: BrowserContext, server: LiveServer
    ) -> None:
        page = context.new_page()
        page.add_init_script(NO_WEBCRYPTO)  # the server's tokens (the phone's own: issue 11)
        page.clock.install()
        sign_in(page, server, new_phone())
        declare_and_confirm(page)
        first = read_qr(page)
        old_path = page.locator(".qr-box svg path").last.get_attribute("d")

        server.clock.advance(timedelta(seconds=11))  # a token is reused for 10 s of 15
        page.clock.run_for(11_000)  # tokens live 15 s here; the page renews at 10 s
        _wait_until(lambda: page.locator(".qr-box svg path").last.get_attribute("d") != old_path)

        second = read_qr(page)
        assert second != first
        assert verify(server, second)["valid"] is True
        expect(page.locator(".qr-box")).not_to_have_class("qr-box stale")

    def test_history_lists_the_change_with_its_reason(self, page: Page, server: LiveServer) -> None:
        sign_in(page, server, new_phone())
        declare_and_confirm(page, temperature="37.8")

        expect(page.locator(".code-card .colour strong")).to_have_text("黄码")
        expect(page.locator("#why")).to_contain_text("发热")
        page.click("a[href$='/history']")
        expect(page.locator(".timeline li").first).to_contain_text("黄码")
        expect(page.locator(".timeline li").first).to_contain_text("发热")

    def test_a_pass_is_pending_in_black_and_white(self, page: Page, server: LiveServer) -> None:
        sign_in(page, server, new_phone())
        declare_and_confirm(page, "shandong-pass")

        expect(page.locator(".code-card .colour strong")).to_have_text("待审核")
        black = re.compile(r"^#000(000)?$")
        expect(page.locator(".qr-box svg path[stroke]")).to_have_attribute("stroke", black)
        expect(page.locator("#next-title")).to_be_visible()
        expect(page.locator(".steps")).to_contain_text("视频")
        claims = verify(server, read_qr(page))["claims"]
        assert claims["colour"] == "pending"


class TestSignedPass:
    def test_a_signed_pass_shows_its_last_valid_day(self, page: Page, server: LiveServer) -> None:
        phone = new_phone()
        sign_in(page, server, phone)
        declare_and_confirm(page, "shandong-pass")
        page.goto("/help")  # off the code page, whose reload on the new colour raced the goto
        sign_pass(server, phone)

        page.goto("/codes/shandong-pass")
        expect(page.locator(".code-card .colour strong")).to_have_text("绿色健康通行卡（通行）")
        expect(page.locator(".code-card")).to_contain_text("有效期至 2020-02-28")
        expect(page.locator("#code-status")).to_contain_text("有效期至 2020-02-28")
        claims = verify(server, read_qr(page))["claims"]
        assert claims["colour"] == "green"
        until = datetime.fromisoformat(claims["pass_valid_until"])
        assert until == datetime(2020, 2, 29, tzinfo=TZ)  # valid through 02-28
        page.goto("/")
        expect(page.get_by_role("link", name="通行卡出示")).to_be_visible()


class TestDailyReport:
    def test_two_taps_turn_the_streak_forward_day_by_day(
        self, page: Page, server: LiveServer
    ) -> None:
        sign_in(page, server, new_phone())
        declare_and_confirm(page, temperature="37.8")
        expect(page.locator(".code-card .colour strong")).to_have_text("黄码")

        for day in (1, 2):
            server.clock.advance(timedelta(days=1))
            page.goto("/codes/binzhou-code")
            expect(page.locator(".banner.warn")).to_contain_text("上报")
            page.goto("/codes/binzhou-code/report")
            page.click(".chip:has-text('36.5')")  # tap 1
            page.click("button[value=submit]")  # tap 2
            page.wait_for_url("**/codes/binzhou-code?reported=1")
            expect(page.locator("progress#streak")).to_have_attribute("value", str(day))
            expect(page.locator("label[for=streak]")).to_contain_text(f"{day}")
        expect(page.locator("#why")).to_contain_text("转为绿码")


def _wait_until(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not callable(condition) or not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


class TestNotifications:
    def test_a_colour_change_arrives_as_an_unread_message(
        self, page: Page, server: LiveServer
    ) -> None:
        sign_in(page, server, new_phone())
        declare_and_confirm(page, temperature="37.8")
        page.goto("/")
        badge = page.locator("header .badge")
        expect(badge).to_have_text("1")
        page.click("header a[href='/notifications']")
        item = page.locator(".timeline li").first
        expect(item).to_contain_text("滨州健康码")
        expect(item).to_contain_text("黄码")
        expect(item).to_contain_text("发热")
        page.click("form[action='/notifications/read'] button")
        expect(page.locator(".unread")).to_have_count(0)
        page.goto("/")
        expect(page.locator("header .badge")).to_have_count(0)
