"""What was typed survives a detour: the language switch on any page (issue 9 #1), a
sign-in after the session ran out, and a form token gone stale (issue 9 #4)."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.factories.inputs import id_number
from tests.web.conftest import new_context, new_phone
from tests.web.flows import ask_for_code, sign_in_by_sms
from tests.web.live import LiveServer

ENGLISH = "header .lang-switch a[hreflang=en]"
CHINESE = "header .lang-switch a[hreflang=zh-CN]"


def _half_filled_declaration(page: Page) -> str:
    page.goto("/declare/binzhou-code")
    number = id_number()
    page.fill("#name", "张三")
    page.fill("#id_number", number)
    return number


class TestLanguageSwitch:
    def test_english_on_the_sms_code_step_keeps_the_step(
        self, page: Page, server: LiveServer
    ) -> None:
        phone = new_phone()
        ask_for_code(page, phone)
        page.click(ENGLISH)
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("h1")).to_contain_text("Sign in")
        expect(page.locator("#code")).to_be_visible()
        page.fill("#code", server.sms.sent[phone])
        page.click("form[action='/login'] button.primary")
        page.wait_for_url(f"{server.url}/")
        page.click(CHINESE)
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    def test_a_half_filled_form_comes_back_in_english(self, page: Page, server: LiveServer) -> None:
        sign_in_by_sms(page, server, new_phone())
        number = _half_filled_declaration(page)
        page.click(ENGLISH)
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("#name")).to_have_value("张三")
        expect(page.locator("#id_number")).to_have_value(number)
        page.goto("/declare/binzhou-code")  # used once: a later visit starts empty
        expect(page.locator("#id_number")).to_have_value("")

    def test_without_javascript_the_switch_still_works(
        self, browser: Browser, server: LiveServer
    ) -> None:
        context = new_context(browser, server, java_script_enabled=False)
        page = context.new_page()
        page.goto("/login")
        page.fill("#phone", new_phone())
        page.click("form[action='/login/code'] button.primary")
        with page.expect_navigation() as answer:
            page.click(ENGLISH)
        response = answer.value
        assert response is not None
        assert response.status == 200
        expect(page.locator("html")).to_have_attribute("lang", "en")
        context.close()


class TestKeptAcrossSignIn:
    def test_an_expired_session_signs_in_and_returns_to_the_form(
        self, page: Page, server: LiveServer
    ) -> None:
        phone = new_phone()
        sign_in_by_sms(page, server, phone)
        number = _half_filled_declaration(page)
        server.clock.advance(timedelta(days=server.app.state.env.settings.session_days, hours=1))
        page.check("#pledge-box")
        page.click("button[value=submit]")
        page.wait_for_url("**/login?next=%2Fdeclare%2Fbinzhou-code")
        assert number not in page.url
        page.fill("#phone", phone)
        page.click("form[action='/login/code'] button.primary")
        page.fill("#code", server.sms.sent[phone])
        page.click("form[action='/login'] button.primary")
        page.wait_for_url(f"{server.url}/declare/binzhou-code")
        expect(page.locator("#form-note")).to_contain_text("已退出登录")
        expect(page.locator("#name")).to_have_value("张三")
        expect(page.locator("#id_number")).to_have_value("")  # whoever signs in may be another

    def test_a_stale_form_token_shows_the_form_again_filled_in(
        self, context: BrowserContext, server: LiveServer
    ) -> None:
        phone = new_phone()
        page = context.new_page()
        sign_in_by_sms(page, server, phone)
        number = _half_filled_declaration(page)
        other = context.new_page()  # signed out and in again in another tab
        other.goto("/")
        other.click("form[action='/logout'] button")
        sign_in_by_sms(other, server, new_phone())
        page.click("button[value=submit]")
        page.wait_for_url(f"{server.url}/declare/binzhou-code")
        expect(page.locator("#form-note")).to_contain_text("表单已过期")
        expect(page.locator("#name")).to_have_value("张三")
        expect(page.locator("#id_number")).to_have_value("")  # another account signed in
        page.fill("#id_number", number)
        page.fill("#region", "371602")
        page.click(".chip:has-text('36.5')")
        page.check("#pledge-box")
        page.click("button[value=submit]")
        page.wait_for_url("**/declarations/*")
