"""A parent adds a child (代领 / 亲友码) and shows the child's code, which a scanner
accepts as the child's, not the parent's."""

from __future__ import annotations

import uuid
from datetime import date

from playwright.sync_api import Page, expect

from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWorkFactory
from tests.factories.appeals import REASON, close_contact
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


def test_a_parent_appeals_the_childs_colour(page: Page, server: LiveServer) -> None:
    """Stop 43, an outside probe: the child's code said it could be appealed, and
    neither its page nor any route took the appeal. Now the family code page shows why
    the colour, as one's own does, and the appeal is sent from there for the child."""
    sign_in(page, server, new_phone())
    _apply_for(page, id_number(date(2013, 4, 4)))
    page.wait_for_url("**/declarations/*")
    page.click("form.actions button.primary")
    page.wait_for_url("**/family/*/codes/binzhou-code?welcome=1")
    child = uuid.UUID(page.url.split("/family/")[1].split("/")[0])
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    with units() as uow:
        close_contact(uow, env, child)
    code = f"/family/{child}/codes/binzhou-code"
    page.goto(code)
    why = page.locator("#why")
    expect(why).to_contain_text("为什么是这个颜色")
    expect(why).to_contain_text("密切接触者")
    check_page(page)
    why.get_by_role("link", name="申诉").click()
    page.wait_for_url(f"**{code}/appeal")
    expect(page.locator(".whose")).to_contain_text("为李**（子女）申诉")
    check_page(page)
    page.check("input[name=subject]")
    page.fill("#reason", REASON)
    page.click("button.primary")
    page.wait_for_url(f"**/family/{child}/appeals/*?sent=1")
    expect(page.locator(".banner.ok")).to_contain_text("申诉已提交")
    expect(page.locator(".timeline")).to_contain_text("已提交")
    check_page(page)
    page.goto(f"{page.url.split('?')[0]}?lang=en")
    expect(page.locator(".whose")).to_contain_text("An appeal for 李** (Child), not for you")
    page.get_by_role("link", name="李**'s appeals").click()
    expect(page.locator("main .queue li")).to_have_count(1)

    page.context.clear_cookies()
    sign_in(page, server, new_phone())  # another account: not found
    assert page.goto(f"{code}/appeal").status == 404  # type: ignore[union-attr]
    assert page.goto(f"/family/{child}/appeals").status == 404  # type: ignore[union-attr]


def test_a_parent_stops_holding_the_childs_code(page: Page, server: LiveServer) -> None:
    """Stop 43, an outside probe: no page offered to end the link. The family page
    does, with the form's CSRF token; the child's record stays."""
    sign_in(page, server, new_phone())
    _apply_for(page, id_number(date(2012, 7, 7)))
    page.wait_for_url("**/declarations/*")
    page.click("form.actions button.primary")
    page.wait_for_url("**/family/*/codes/binzhou-code?welcome=1")
    child = uuid.UUID(page.url.split("/family/")[1].split("/")[0])
    page.get_by_text("不再代领李**的码").click()
    check_page(page)
    page.get_by_role("button", name="将李**从我的家庭成员中移除").click()
    page.wait_for_url("**/#family-title")
    expect(page.locator("main")).not_to_contain_text("李**")
    assert page.goto(f"/family/{child}/codes/binzhou-code").status == 404  # type: ignore[union-attr]
    units: UnitOfWorkFactory = server.app.state.uow_factory
    with units() as uow:
        assert uow.residents.by_id(child) is not None
