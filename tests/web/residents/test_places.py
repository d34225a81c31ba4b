"""Places and nationality (issue 9, item 3): picked from province → city → county
selects, or typed as a name that names one place; nationality from a list."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page, expect

from tests.web.conftest import new_phone
from tests.web.flows import fill_declaration, sign_in
from tests.web.live import LiveServer


class TestPlacePicker:
    def test_province_city_county_fill_the_field(self, page: Page, server: LiveServer) -> None:
        sign_in(page, server, new_phone())
        page.set_viewport_size({"width": 375, "height": 740})
        fill_declaration(page, region="")
        expect(page.locator("#region-province")).to_be_visible()
        page.select_option("#region-province", label="山东省")
        page.select_option("#region-city", label="滨州市")
        page.select_option("#region-county", label="滨城区")
        expect(page.locator("#region")).to_have_value("371602")
        expect(page.locator("#region-name")).to_have_text("山东省滨州市滨城区")
        expect(page.locator("#nationality")).to_have_value("CHN")
        expect(page.locator("#nationality option:checked")).to_have_text("中国")
        page.click("button[value=submit]")
        page.wait_for_url("**/declarations/*")
        expect(page.locator("dl.declared")).to_contain_text("山东省滨州市滨城区")

    def test_a_code_already_in_the_field_shows_in_the_selects(
        self, page: Page, server: LiveServer
    ) -> None:
        sign_in(page, server, new_phone())
        fill_declaration(page, region="371602")
        page.uncheck("#pledge-box")
        page.click("button[value=submit]")  # refused: the form comes back filled in
        expect(page.locator("#pledge-error")).to_be_visible()
        expect(page.locator("#region-province option:checked")).to_have_text("山东省")
        expect(page.locator("#region-city option:checked")).to_have_text("滨州市")
        expect(page.locator("#region-county option:checked")).to_have_text("滨城区")


class TestTypedPlaceNames:
    def test_a_name_of_one_place_is_accepted(
        self, no_js: BrowserContext, server: LiveServer
    ) -> None:
        page = no_js.new_page()
        sign_in(page, server, new_phone())
        fill_declaration(page, region="滨州市滨城区")
        expect(page.locator("#region-province")).to_be_hidden()  # the picker needs JS
        page.select_option("#nationality", "HKG")
        page.fill("#trip-0-region", "济南市历下区")
        page.fill("#trip-0-end", "2020-02-20")
        page.click("button[value=submit]")
        page.wait_for_url("**/declarations/*")
        expect(page.locator("dl.declared")).to_contain_text("山东省滨州市滨城区")
        expect(page.locator("dl.declared")).to_contain_text("济南市")

    def test_an_ambiguous_name_lists_the_choices(
        self, no_js: BrowserContext, server: LiveServer
    ) -> None:
        page = no_js.new_page()
        sign_in(page, server, new_phone())
        fill_declaration(page, region="朝阳区")
        page.click("button[value=submit]")
        error = page.locator("#region-error")
        expect(error).to_contain_text("北京市朝阳区")
        expect(error).to_contain_text("吉林省长春市朝阳区")
        expect(page.locator("#region")).to_have_value("朝阳区")
