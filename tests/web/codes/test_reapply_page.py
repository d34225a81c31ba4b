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
