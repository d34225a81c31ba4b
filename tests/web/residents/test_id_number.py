"""The confirmation page in the browser: a typo in the ID number shows in the birth
date, is corrected by editing, and a number held by an old account is moved with a
code texted to that account's phone (issue 7 #10)."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import Browser, Page, expect

from tests.factories.identity import make_id_number
from tests.web.conftest import new_context, new_phone
from tests.web.flows import declare_and_confirm, fill_declaration, sign_in
from tests.web.live import LiveServer


def test_a_typo_shows_in_the_birth_date_and_is_corrected(page: Page, server: LiveServer) -> None:
    sign_in(page, server, new_phone())
    typo = make_id_number(birth=date(1991, 7, 4), region="371602", seq=101)
    right = make_id_number(birth=date(1991, 4, 7), region="371602", seq=101)
    fill_declaration(page, id_number=typo)
    page.click("button[value=submit]")
    page.wait_for_url("**/declarations/*")
    expect(page.locator("#birth-date")).to_have_text("1991-07-04")
    expect(page.locator("#sex")).to_have_text("男")
    page.click("a.button[href*='edit=']")
    page.fill("#id_number", right)
    page.check("#pledge-box")
    page.click("button[value=submit]")
    page.wait_for_url("**/declarations/*")
    expect(page.locator("#birth-date")).to_have_text("1991-04-07")
    page.click("form.actions button.primary")
    page.wait_for_url("**/codes/binzhou-code?welcome=1")


def test_a_number_held_by_an_old_account_is_moved_by_sms(
    page: Page, server: LiveServer, browser: Browser
) -> None:
    number = make_id_number(birth=date(1970, 2, 2), region="371602", seq=103)
    old_phone = new_phone()
    old = new_context(browser, server).new_page()
    sign_in(old, server, old_phone)
    declare_and_confirm(old, id_number=number)
    sign_in(page, server, new_phone())
    fill_declaration(page, id_number=number)
    page.click("button[value=submit]")
    page.wait_for_url("**/declarations/*")
    page.click("form[action$='/confirm'] button.primary")
    expect(page.locator("[role=alert]")).to_contain_text(old_phone[-4:])
    page.click("form[action$='/claim-code'] button")
    page.fill("#claim-code", server.sms.sent[old_phone])
    page.click("form[action$='/claim'] button.primary")
    page.wait_for_url("**/declarations/*")
    page.click("form[action$='/confirm'] button.primary")
    page.wait_for_url("**/codes/binzhou-code?welcome=1")
