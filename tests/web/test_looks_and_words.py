"""What new users tripped over (issue 9): exposure dates, reason lists, the code
page's yellow and issuer, and the words of the seeds."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from healthcode.domain.colour import Colour
from tests.web.conftest import new_phone
from tests.web.flows import declare_and_confirm, sign_in, sign_pass
from tests.web.live import LiveServer
from tests.web.test_a11y import contrast

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
BOX = "(selector) => { const b = document.querySelector(selector).getBoundingClientRect();" \
    " return {top: b.top, bottom: b.bottom, left: b.left, width: b.width}; }"  # fmt: skip
STYLE = "([selector, property]) => getComputedStyle(document.querySelector(selector))[property]"


def box(page: Page, selector: str) -> dict[str, float]:
    found: dict[str, float] = page.evaluate(BOX, selector)
    return found


def style(page: Page, selector: str, prop: str) -> Any:
    return page.evaluate(STYLE, [selector, prop])


def rgb(css: str) -> str:
    r, g, b = (int(n) for n in re.findall(r"\d+", css)[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


class TestExposureDates:
    @pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
    def test_a_ticked_box_shows_its_dates_full_width_below_it(
        self, page: Page, server: LiveServer, size: ViewportSize
    ) -> None:
        sign_in(page, server, new_phone())
        page.set_viewport_size(size)
        page.goto("/declare/binzhou-code")
        page.check("#exposure-close_contact")
        fieldset = box(page, "#exposure")
        tick = box(page, "#exposure-close_contact")
        for part in ("start", "end"):
            date = box(page, f"#exposure-close_contact-{part}")
            assert date["width"] >= 0.75 * fieldset["width"], (part, date, fieldset)
            assert date["top"] > tick["bottom"], part  # under the box, not beside it
        page.fill("#exposure-close_contact-start", "2020-02-10")
        expect(page.locator("#exposure-close_contact-start")).to_have_value("2020-02-10")

    def test_each_box_keeps_its_words_beside_it_on_a_small_phone(
        self, page: Page, server: LiveServer
    ) -> None:
        """At 320 px the longest exposure's words wrapped below an empty box (an
        outside probe, stop 43): a label is laid out at its one-line width first."""
        sign_in(page, server, new_phone())
        page.set_viewport_size({"width": 320, "height": 640})
        page.goto("/declare/binzhou-code")
        for value in ("close_contact", "febrile_contact"):
            tick, words = box(page, f"#exposure-{value}"), box(page, f"label[for=exposure-{value}]")
            assert words["top"] < tick["bottom"], value  # beside the box, not below it
            assert words["left"] > tick["left"], value


class TestReasonLists:
    def test_history_and_messages_list_reasons_apart_from_the_badge(
        self, page: Page, server: LiveServer
    ) -> None:
        sign_in(page, server, new_phone())
        declare_and_confirm(page, temperature="37.8")
        for path in ("/codes/binzhou-code/history", "/notifications"):
            page.goto(path)
            item = ".timeline > li:first-child"
            reasons = page.locator(f"{item} ul.reasons li")
            expect(reasons.first).to_contain_text("发热")
            expect(page.locator(f"{item} .reasons-title")).to_have_text("原因")
            first = f"{item} ul.reasons li"
            assert style(page, first, "borderLeftWidth") == "0px", path  # no grey bar
            assert style(page, first, "listStyleType") == "disc", path
            assert float(style(page, first, "paddingLeft").removesuffix("px")) <= 8, path
            above = f"{item} .colour" if path.endswith("history") else f"{item} strong"
            gap = box(page, f"{item} .reasons-title")["top"] - box(page, above)["bottom"]
            assert gap >= 8, (path, gap)  # not jammed against the badge


class TestCodePage:
    def test_yellow_is_a_yellow_with_dark_words_and_frame(
        self, page: Page, server: LiveServer
    ) -> None:
        sign_in(page, server, new_phone())
        declare_and_confirm(page, temperature="37.8")
        badge = ".code-card .colour"
        background = rgb(style(page, badge, "backgroundColor"))
        red, green, blue = (int(background[i : i + 2], 16) for i in (1, 3, 5))
        assert (red >= 240, green >= 190, blue <= 60) == (True, True, True), background
        words = rgb(style(page, f"{badge} strong", "color"))
        assert contrast(words, background) >= 7, (words, background)
        frame = rgb(style(page, badge, "borderTopColor"))
        assert contrast(frame, background) >= 3, (frame, background)
        assert rgb(style(page, ".code-card .qr-box", "borderTopColor")) == background

    def test_the_code_names_its_issuing_authority(self, page: Page, server: LiveServer) -> None:
        sign_in(page, server, new_phone())
        declare_and_confirm(page)
        expect(page.locator(".code-card .authority")).to_have_text(
            "签发机关：滨州市新冠肺炎疫情处置工作领导小组（指挥部）"
        )
        page.goto("/lang/en?next=/codes/binzhou-code")
        expect(page.locator(".code-card .authority")).to_contain_text("Issued by Binzhou")

    @pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
    def test_on_first_use_the_qr_is_above_the_fold(
        self, page: Page, server: LiveServer, size: ViewportSize
    ) -> None:
        page.set_viewport_size(size)
        sign_in(page, server, new_phone())
        declare_and_confirm(page)  # lands on ?welcome=1
        expect(page.locator(".guide")).to_be_visible()
        qr = box(page, ".qr-box svg")
        assert qr["top"] >= 0, qr
        assert qr["bottom"] <= size["height"], qr
        assert box(page, ".guide")["top"] > qr["bottom"]


class TestWords:
    @pytest.mark.parametrize(
        ("colour", "label"),
        [
            (Colour.GREEN, "绿色健康通行卡（通行）"),
            (Colour.YELLOW, "黄色健康通行卡（待行）"),
            (Colour.RED, "红色健康通行卡（禁行）"),
        ],
    )
    def test_a_signed_pass_uses_the_annex_names_and_menu(
        self, page: Page, server: LiveServer, colour: Colour, label: str
    ) -> None:
        phone = new_phone()
        sign_in(page, server, phone)
        expect(page.get_by_role("link", name="通行卡申请")).to_be_visible()
        declare_and_confirm(page, "shandong-pass")
        page.goto("/help")  # off the code page, whose reload on the new colour raced the goto
        sign_pass(server, phone, colour)

        page.goto("/codes/shandong-pass")
        expect(page.locator(".code-card .colour strong")).to_have_text(label)
        expect(page.locator("#code-status")).to_contain_text(label)
        expect(page.locator(".code-card .authority")).to_contain_text("山东省")
        page.goto("/")
        card = page.locator("section.card", has_text="山东省电子健康通行卡")
        expect(card.locator(".colour strong")).to_have_text(label)
        expect(card.get_by_role("link", name="通行卡出示")).to_be_visible()
        expect(card.get_by_role("link", name="每日健康上报")).to_be_visible()

    def test_the_streak_before_the_first_report_does_not_say_day_0(
        self, page: Page, server: LiveServer
    ) -> None:
        sign_in(page, server, new_phone())
        declare_and_confirm(page, temperature="37.8")
        label = page.locator("label[for=streak]")
        expect(label).to_have_text("已连续正常上报：尚未开始（需连续 14 天正常）")
        expect(label).not_to_contain_text("第 0")

    def test_the_header_shows_the_language_switch_and_messages_on_every_page(
        self, page: Page, server: LiveServer
    ) -> None:
        page.goto("/login")
        header = page.locator("body > header")
        expect(header).to_contain_text("中文 / English")
        expect(header.get_by_role("link", name="消息")).to_have_count(0)  # not signed in
        sign_in(page, server, new_phone())
        declare_and_confirm(page)
        for path in ("/", "/codes/binzhou-code", "/codes/binzhou-code/history", "/help"):
            page.goto(path)
            expect(header).to_contain_text("中文 / English")
            expect(header.get_by_role("link", name=re.compile("^消息"))).to_be_visible()
        page.goto("/help")
        expect(page.locator("#switch-language")).to_contain_text("中文 / English")
