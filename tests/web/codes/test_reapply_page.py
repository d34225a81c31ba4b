"""A resident who re-applies while a red pass stands sees both (issue 7, item 2)."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect

from healthcode.domain.colour import Colour
from tests.factories.inputs import id_number
from tests.web.conftest import new_phone
from tests.web.flows import declare_and_confirm, sign_in, sign_pass
from tests.web.live import LiveServer


def test_the_red_pass_stays_with_the_new_application_under_review(
    page: Page, server: LiveServer
) -> None:
    phone, number = new_phone(), id_number()
    sign_in(page, server, phone)
    declare_and_confirm(page, "shandong-pass", id_number=number, temperature="37.6")
    sign_pass(server, phone, Colour.RED)
    # the open page turns red by itself (its watch reloads it); re-applying before that
    # reload lands would race it
    red = page.locator(".code-card .colour strong")
    expect(red).to_have_text("红色健康通行卡（禁行）", timeout=15_000)
    server.clock.advance(timedelta(hours=1))  # a re-application comes after the first

    declare_and_confirm(page, "shandong-pass", id_number=number, temperature="36.5")

    expect(red).to_have_text("红色健康通行卡（禁行）")
    banner = page.get_by_role("status").filter(has_text="新的申请正在审核")
    expect(banner).to_contain_text("签发之前，下方的通行证保持不变，最迟至 2020-02-")  # its end
    expect(page.locator(".guide")).to_have_count(0)  # not "your code is ready"


def test_a_lapsed_pass_offers_applying_again_not_a_daily_report(
    page: Page, server: LiveServer
) -> None:
    """A pass past its 5 days took a daily report ("上报成功") and stayed yellow: the
    home page's big button was the report, applying again a small link below."""
    phone = new_phone()
    sign_in(page, server, phone)
    declare_and_confirm(page, "shandong-pass", id_number=id_number(), temperature="36.5")
    sign_pass(server, phone, Colour.GREEN)
    server.clock.advance(timedelta(days=6))
    page.goto("/")
    card = page.locator(".card", has_text="通行卡")
    expect(card.locator("a.button.primary")).to_have_text("重新申请")
    expect(card.get_by_role("link", name="每日健康上报")).to_have_count(0)
    page.goto("/codes/shandong-pass/report")
    page.wait_for_url("**/codes/shandong-pass")
    expect(page.get_by_role("link", name="重新申请")).to_be_visible()


def test_applying_again_starts_from_who_and_where_not_the_health_answers(
    page: Page, server: LiveServer
) -> None:
    """A pass is applied for every 5 days; its form started blank each time."""
    phone = new_phone()
    sign_in(page, server, phone)
    declare_and_confirm(page, "binzhou-code", id_number=id_number(), temperature="37.0")
    page.goto("/declare/shandong-pass")
    expect(page.locator("#name")).not_to_have_value("")
    expect(page.locator("#region")).not_to_have_value("")
    expect(page.locator("#id_number")).to_have_value("")  # kept only encrypted: typed again
    expect(page.locator("#temperature")).to_have_value("")  # asked afresh
    page.goto("/declare/binzhou-code?for=dependant")  # a family member's: blank
    expect(page.locator("#name")).to_have_value("")
