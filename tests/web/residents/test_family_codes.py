"""A parent adds a child (代领 / 亲友码) and shows the child's code, which a scanner
accepts as the child's, not the parent's."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import Page, expect

from tests.factories.inputs import id_number
from tests.web.conftest import new_phone
from tests.web.flows import declare_and_confirm, read_qr, sign_in, verify
from tests.web.live import LiveServer
from tests.web.test_a11y import check_page


def test_a_parent_adds_a_child_and_shows_the_childs_code(page: Page, server: LiveServer) -> None:
    sign_in(page, server, new_phone())
    declare_and_confirm(page)  # the parent's own code first
    page.goto("/")
    page.get_by_role("link", name="添加家庭成员：滨州健康码").click()
    page.wait_for_url("**/declare/binzhou-code?for=dependant")
    expect(page.locator("h1")).to_have_text("为家庭成员申请")
    check_page(page)
    page.select_option("#relationship", "child")
    page.fill("#name", "张小明")
    page.fill("#id_number", id_number(date(2015, 6, 1)))
    page.fill("#region", "371602")
    page.click(".chip:has-text('36.5')")
    page.check("#pledge-box")
    page.click("button[value=submit]")
    page.wait_for_url("**/declarations/*")
    expect(page.locator(".banner").first).to_contain_text("子女")
    page.click("form.actions button.primary")
    page.wait_for_url("**/family/*/codes/binzhou-code?welcome=1")

    expect(page.locator(".whose")).to_contain_text("张**")
    expect(page.locator(".whose")).to_contain_text("不是您本人的码")
    check_page(page)
    result = verify(server, read_qr(page))
    assert result["valid"] is True
    assert result["claims"]["masked_name"] == "张**"  # the child's, not the parent's 张*

    page.goto("/")
    switcher = page.get_by_role("navigation", name="切换查看谁的码")
    expect(switcher.get_by_role("link")).to_have_count(2)
    switcher.get_by_role("link", name="张** (子女)").click()
    page.get_by_role("link", name="出示张**的码：滨州健康码").click()
    expect(page.locator(".whose")).to_contain_text("张**")


def _apply_for(page: Page, number: str) -> None:
    page.goto("/declare/binzhou-code?for=dependant")
    page.select_option("#relationship", "child")
    page.fill("#name", "李小红")
    page.fill("#id_number", number)
    page.fill("#region", "371602")
    page.click(".chip:has-text('36.5')")
    page.check("#pledge-box")
    page.click("button[value=submit]")


def test_a_child_held_by_another_parent_is_refused_in_words(page: Page, server: LiveServer) -> None:
    number = id_number(date(2016, 2, 2))
    sign_in(page, server, new_phone())
    _apply_for(page, number)
    page.wait_for_url("**/declarations/*")
    page.click("form.actions button.primary")
    page.wait_for_url("**/family/*/codes/binzhou-code?welcome=1")

    page.context.clear_cookies()
    sign_in(page, server, new_phone())  # the other parent
    _apply_for(page, number)
    expect(page.locator(".summary")).to_contain_text("其他家庭成员已代领此人的码")
    check_page(page)


def test_a_parents_daily_report_for_the_child(page: Page, server: LiveServer) -> None:
    """The child's code takes reports made by the parent, on the child's own code."""
    sign_in(page, server, new_phone())
    _apply_for(page, id_number(date(2014, 3, 3)))
    page.wait_for_url("**/declarations/*")
    page.click("form.actions button.primary")
    page.wait_for_url("**/family/*/codes/binzhou-code?welcome=1")
    page.get_by_role("link", name="每日健康上报").click()
    page.wait_for_url("**/family/*/codes/binzhou-code/report")
    expect(page.locator(".whose")).to_contain_text("李**")
    check_page(page)
    page.click(".chip:has-text('36.5')")
    page.click("button[value=submit]")
    page.wait_for_url("**/family/*/codes/binzhou-code?reported=1")
    expect(page.locator(".banner.ok")).to_contain_text("已为其完成今日健康上报")
