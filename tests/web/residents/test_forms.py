"""Forms: reasons beside the fields, nothing typed is lost, and it all works
with JavaScript off (plain forms and links; JS only enhances)."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page, expect

from tests.factories.inputs import id_number
from tests.web.conftest import new_phone
from tests.web.flows import (
    ask_for_code,
    declare_and_confirm,
    fill_declaration,
    read_qr,
    sign_in,
    verify,
)
from tests.web.live import LiveServer


def wrong_check_char(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


class TestValidation:
    def test_errors_show_beside_their_fields_and_typed_values_survive(
        self, page: Page, server: LiveServer
    ) -> None:
        sign_in(page, server, new_phone())
        bad_id = wrong_check_char(id_number())
        fill_declaration(page, id_number=bad_id, temperature="45", address="黄河五路 1 号")
        page.check("#symptom-respiratory")
        page.click("button[value=submit]")

        expect(page.locator("#error-summary")).to_be_visible()
        expect(page.locator("#id_number-error")).to_contain_text("最后一位")
        expect(page.locator("#id_number")).to_have_attribute("aria-invalid", "true")
        described = "id_number-hint id_number-error"
        expect(page.locator("#id_number")).to_have_attribute("aria-describedby", described)
        expect(page.locator("#temperature-error")).to_contain_text("45")
        # everything typed is still there
        expect(page.locator("#id_number")).to_have_value(bad_id)
        expect(page.locator("#temperature")).to_have_value("45")
        expect(page.locator("#name")).to_have_value("张三")
        expect(page.locator("#address")).to_have_value("黄河五路 1 号")
        expect(page.locator("#symptom-respiratory")).to_be_checked()
        expect(page.locator("#pledge-box")).to_be_checked()

    def test_the_pledge_is_required(self, page: Page, server: LiveServer) -> None:
        sign_in(page, server, new_phone())
        fill_declaration(page)
        page.uncheck("#pledge-box")
        page.click("button[value=submit]")
        expect(page.locator("#pledge-error")).to_be_visible()
        expect(page.locator("#name")).to_have_value("张三")

    def test_a_wrong_sms_code_says_how_many_tries_are_left(
        self, page: Page, server: LiveServer
    ) -> None:
        phone = new_phone()
        ask_for_code(page, phone)
        right = server.sms.sent[phone]
        page.fill("#code", "000000" if right != "000000" else "111111")
        page.click("form[action='/login'] button.primary")
        expect(page.locator("#code-error")).to_contain_text("4")
        page.fill("#code", right)
        page.click("form[action='/login'] button.primary")
        page.wait_for_url(f"{server.url}/")
        session = next(c for c in page.context.cookies() if c["name"] == "hc_session")
        assert session["httpOnly"] is True
        assert session["sameSite"] == "Lax"
        page.click("footer form[action='/logout'] button")
        page.wait_for_url("**/login")
        assert all(c["name"] != "hc_session" for c in page.context.cookies())


class TestWithoutJavaScript:
    def test_declaring_and_showing_the_code_work(
        self, no_js: BrowserContext, server: LiveServer
    ) -> None:
        page = no_js.new_page()
        sign_in(page, server, new_phone())
        fill_declaration(page, region="371602")
        page.fill("#trip-0-region", "370102")
        page.fill("#trip-0-end", "2020-02-20")
        page.click("button[value=add_trip]")  # a second row, server-side
        expect(page.locator("#trip-1-region")).to_be_visible()
        expect(page.locator("#trip-0-region")).to_have_value("370102")
        expect(page.locator("#name")).to_have_value("张三")
        page.click("button[value=submit]")
        page.wait_for_url("**/declarations/*")
        expect(page.locator("dl.declared")).to_contain_text("济南市")
        page.click("form.actions button.primary")
        page.wait_for_url("**/codes/binzhou-code?welcome=1")

        assert verify(server, read_qr(page))["valid"] is True
        page.click("text=刷新二维码")
        assert verify(server, read_qr(page))["valid"] is True

    def test_the_daily_report_works(self, no_js: BrowserContext, server: LiveServer) -> None:
        page = no_js.new_page()
        sign_in(page, server, new_phone())
        declare_and_confirm(page)
        page.goto("/codes/binzhou-code/report")
        page.click(".chip:has-text('36.7')")
        page.click("button[value=submit]")
        page.wait_for_url("**/codes/binzhou-code?reported=1")
        expect(page.locator(".banner.ok")).to_be_visible()


class TestRegionPicker:
    def test_typing_a_place_name_offers_its_code(self, page: Page, server: LiveServer) -> None:
        sign_in(page, server, new_phone())
        page.goto("/declare/binzhou-code")
        page.fill("#region", "滨州 滨城")
        expect(page.locator("#region-list option[value='371602']")).to_have_count(1)
        page.fill("#region", "371602")
        expect(page.locator("#region-name")).to_have_text("山东省滨州市滨城区")

    def test_without_javascript_a_search_page_finds_codes(self, page: Page) -> None:
        page.goto("/regions?q=武汉 江岸")
        expect(page.locator("table")).to_contain_text("420102")
