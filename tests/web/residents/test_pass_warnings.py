"""The pass form warns about what the rules will not sign green (issue 9, item 11):
beside the field before submitting (JS), on the confirmation page (JS or not), in the
policy's words; a warning never blocks submitting."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import BrowserContext, Page, expect

from healthcode.domain.clock import day_of
from healthcode.services.shared.env import Env
from tests.web.conftest import new_phone
from tests.web.flows import fill_declaration, sign_in
from tests.web.live import LiveServer

RESIDENCE_WORDS = "您在山东省境内连续居住未满14天。"  # SD-SCOPE-RESIDENCE's reason


def today(server: LiveServer) -> date:
    env: Env = server.app.state.env
    return day_of(env.clock.now())


class TestPassWarnings:
    def test_a_short_residence_is_warned_beside_the_field_and_on_confirmation(
        self, page: Page, server: LiveServer
    ) -> None:
        sign_in(page, server, new_phone())
        recent = (today(server) - timedelta(days=3)).isoformat()
        fill_declaration(page, "shandong-pass", residence_since=recent)
        page.locator("#residence_since").dispatch_event("change")
        expect(page.locator("#residence_since-warning")).to_have_text(RESIDENCE_WORDS)
        page.fill("#residence_since", "2019-12-01")
        page.locator("#residence_since").dispatch_event("change")
        expect(page.locator("#residence_since-warning")).to_be_hidden()
        page.fill("#residence_since", recent)
        page.click("button[value=submit]")  # not blocked
        page.wait_for_url("**/declarations/*")
        expect(page.locator("#unmet")).to_contain_text(RESIDENCE_WORDS)

    def test_a_trip_arriving_in_the_future_is_warned(self, page: Page, server: LiveServer) -> None:
        sign_in(page, server, new_phone())
        fill_declaration(page, "shandong-pass")
        later = (today(server) + timedelta(days=2)).isoformat()
        page.fill("#trip-0-start", later)
        page.locator("#trip-0-start").dispatch_event("change")
        expect(page.locator("#trip-0-start-warning")).to_contain_text("晚于今天")

    def test_without_javascript_the_confirmation_page_warns(
        self, no_js: BrowserContext, server: LiveServer
    ) -> None:
        page = no_js.new_page()
        sign_in(page, server, new_phone())
        recent = (today(server) - timedelta(days=3)).isoformat()
        fill_declaration(page, "shandong-pass", residence_since=recent)
        page.click("button[value=submit]")
        page.wait_for_url("**/declarations/*")
        expect(page.locator("#unmet")).to_contain_text(RESIDENCE_WORDS)
        page.click("form.actions button.primary")  # the issuer decides
        page.wait_for_url("**/codes/shandong-pass?welcome=1")

    def test_a_long_residence_gets_no_warning(self, page: Page, server: LiveServer) -> None:
        sign_in(page, server, new_phone())
        fill_declaration(page, "shandong-pass")
        page.click("button[value=submit]")
        page.wait_for_url("**/declarations/*")
        expect(page.locator("#unmet")).to_have_count(0)
