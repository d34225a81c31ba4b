"""Staff passwords in Chromium: one's own changed at ``/staff/password`` (linked from the
staff home and the header), an administrator's reset on the account's page, and the
error page's language switch (an outside probe, stop 44)."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, Page, expect

from healthcode.services.accounts.permissions import Role
from healthcode.store.uow import UnitOfWorkFactory
from tests.web.conftest import new_context
from tests.web.live import LiveServer
from tests.web.organisations.staff import PASSWORD, desk, staff_holding
from tests.web.test_a11y import check_page

SIGN_IN = "form[action='/staff/login'] button.primary"
CHANGE = "form[action='/staff/password'] button.primary"
ENGLISH = "header .lang-switch a[hreflang=en]"
NEW = "staple clip lantern 42"


def sign_in(
    page: Page, server: LiveServer, username: str, password: str = PASSWORD, lands: str = "/staff"
) -> None:
    page.goto("/staff/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click(SIGN_IN)
    page.wait_for_url(f"{server.url}{lands}")


def change(page: Page, current: str, new: str = NEW, again: str | None = None) -> int:
    page.fill("#current_password", current)
    page.fill("#new_password", new)
    page.fill("#new_password_again", new if again is None else again)
    with page.expect_navigation() as answer:
        page.click(CHANGE)
    assert answer.value is not None
    return answer.value.status


def typed(page: Page) -> list[str]:
    return [page.input_value(f"#{name}") for name in ("current_password", "new_password",
                                                        "new_password_again")]  # fmt: skip


def account_id(server: LiveServer, username: str) -> uuid.UUID:
    units: UnitOfWorkFactory = server.app.state.uow_factory
    with units() as uow:
        found = uow.accounts.by_username(username)
        assert found is not None
        return found.id


def still_signed_in(page: Page, server: LiveServer) -> bool:
    page.goto("/staff")
    return page.url == f"{server.url}/staff"


class TestChangeOwn:
    def test_refusals_keep_nothing_typed_then_the_change_ends_the_other_session(
        self, page: Page, browser: Browser, server: LiveServer
    ) -> None:
        username = staff_holding(server, Role.CHECKPOINT, "venue-1")
        other = new_context(browser, server)
        elsewhere = other.new_page()
        sign_in(elsewhere, server, username)
        sign_in(page, server, username)
        page.click("main a[href='/staff/password']")  # from the staff home
        expect(page.locator("header a[href='/staff/password']")).to_be_visible()
        check_page(page)

        assert change(page, "not my password") == 422
        expect(page.locator("#current_password-error")).to_have_text("当前密码不正确")
        assert typed(page) == ["", "", ""]
        assert change(page, PASSWORD, "1234567890123") == 422
        expect(page.locator("#new_password-error")).to_have_text("不能全是数字")
        expect(page.locator("#current_password-error")).to_have_count(0)
        assert change(page, PASSWORD, again=NEW + "!") == 422
        expect(page.locator("#new_password_again-error")).to_have_text(
            "两次输入的新密码不一致：请输入相同的新密码"
        )
        check_page(page)

        assert change(page, PASSWORD) == 200
        expect(page.locator(".banner.ok")).to_contain_text("密码已修改")
        assert typed(page) == ["", "", ""]
        assert still_signed_in(page, server)
        assert not still_signed_in(elsewhere, server)
        other.close()

    def test_in_english_a_weak_password_is_said_with_its_rule(
        self, page: Page, server: LiveServer
    ) -> None:
        sign_in(page, server, staff_holding(server, Role.AUDITOR, ""))
        page.goto("/staff/password")
        page.click(ENGLISH)
        page.wait_for_url(f"{server.url}/staff/password")
        assert change(page, PASSWORD, "password123") == 422
        expect(page.locator("#new_password-error")).to_have_text(
            "Too common: it is among the first passwords tried"
        )
        assert change(page, PASSWORD) == 200
        expect(page.locator(".banner.ok")).to_contain_text("Your password was changed")


class TestReset:
    def test_the_administrator_sets_a_password_and_the_person_is_signed_out(
        self, page: Page, browser: Browser, server: LiveServer
    ) -> None:
        issuer = desk(server).issuers[0]
        theirs = new_context(browser, server)
        their_page = theirs.new_page()
        sign_in(their_page, server, issuer)
        sign_in(page, server, staff_holding(server, Role.ADMIN, "region:371600"))
        page.goto(f"/staff/accounts/{account_id(server, issuer)}")

        page.fill("#password", "short")
        with page.expect_navigation() as refused:
            page.click("form[action$='/password'] button")
        assert refused.value is not None
        assert refused.value.status == 422
        expect(page.locator("#password-error")).to_have_text("至少 10 个字符")
        expect(page.locator("#password")).to_have_value("")
        check_page(page)

        page.fill("#password", NEW)
        page.click("form[action$='/password'] button")
        expect(page.locator(".banner.ok")).to_contain_text("新密码已设置")
        assert not still_signed_in(their_page, server)
        sign_in(their_page, server, issuer, NEW, lands="/staff/password")  # to change it first
        theirs.close()

    def test_ones_own_account_page_links_to_the_change_instead(
        self, page: Page, server: LiveServer
    ) -> None:
        admin = staff_holding(server, Role.ADMIN, "region:371600")
        sign_in(page, server, admin)
        page.goto(f"/staff/accounts/{account_id(server, admin)}")
        expect(page.locator("form[action$='/password']")).to_have_count(0)
        expect(page.locator("main a[href='/staff/password']")).to_be_visible()


class TestErrorPage:
    def test_the_language_switch_returns_to_the_page_asked_for(
        self, page: Page, server: LiveServer
    ) -> None:
        """It linked to /lang/en?next=None, which went home."""
        page.goto("/no-such-page")
        expect(page.locator(ENGLISH)).to_have_attribute("href", "/lang/en?next=%2Fno-such-page")
        page.click(ENGLISH)
        page.wait_for_url(f"{server.url}/no-such-page")
        expect(page.locator("h1")).to_have_text("Page not found")
