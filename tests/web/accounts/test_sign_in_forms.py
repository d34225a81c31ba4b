"""The sign-in forms in Chromium: a field left empty is asked for beside it with what
was typed kept, a ``next`` that is no page of ours goes home, and staff land on the
staff home (an outside probe, stop 44)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from healthcode.services.accounts.permissions import Role
from tests.web.conftest import new_phone
from tests.web.live import LiveServer
from tests.web.organisations.staff import PASSWORD, staff_holding
from tests.web.test_a11y import check_page

SIGN_IN = "form[action='/staff/login'] button.primary"
ENGLISH = "header .lang-switch a[hreflang=en]"


class TestStaffSignInLeftEmpty:
    def test_an_empty_password_is_asked_for_beside_it_and_the_username_kept(
        self, page: Page
    ) -> None:
        """It was a bare error page (信息有误 / 此项为必填) without the form."""
        page.goto("/staff/login")
        page.fill("#username", "someone.01")
        with page.expect_navigation() as answer:
            page.click(SIGN_IN)
        assert answer.value is not None
        assert answer.value.status == 422
        expect(page.locator("#password-error")).to_have_text("请输入密码")
        expect(page.locator("#username-error")).to_have_count(0)
        expect(page.locator("#username")).to_have_value("someone.01")
        expect(page.locator("#password")).to_have_value("")
        expect(page.locator(SIGN_IN)).to_be_visible()
        check_page(page)

    def test_both_empty_in_english(self, page: Page) -> None:
        page.goto("/staff/login")
        page.click(ENGLISH)
        page.click(SIGN_IN)
        expect(page.locator("#username-error")).to_have_text("Please enter your username")
        expect(page.locator("#password-error")).to_have_text("Please enter your password")
        expect(page.locator("#username")).to_be_visible()
        check_page(page)


class TestStaffLanding:
    @pytest.mark.parametrize(
        ("role", "scope"), [(Role.DATA_OPERATOR, "region:371600"), (Role.AUDITOR, "")]
    )
    def test_a_role_without_staff_management_lands_on_the_staff_home(
        self, page: Page, server: LiveServer, role: Role, scope: str
    ) -> None:
        """They were sent to /staff/manage, which answered them 403."""
        username = staff_holding(server, role, scope)
        page.goto("/staff/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        with page.expect_navigation(url=f"{server.url}/staff") as answer:
            page.click(SIGN_IN)
        assert answer.value is not None
        assert answer.value.status == 200
        expect(page.locator("h1")).to_have_text("工作人员")
        expect(page.locator("a[href='/staff/manage']")).to_have_count(0)

    def test_the_staff_home_signed_out_goes_to_the_staff_sign_in_and_back(
        self, page: Page, server: LiveServer
    ) -> None:
        """It went to the residents' sign-in by SMS code."""
        page.goto("/staff")
        page.wait_for_url(f"{server.url}/staff/login?next=%2Fstaff")
        page.fill("#username", staff_holding(server, Role.CHECKPOINT, "venue-1"))
        page.fill("#password", PASSWORD)
        page.click(SIGN_IN)
        page.wait_for_url(f"{server.url}/staff")
        expect(page.locator("a[href='/staff/scanner']")).to_be_visible()


class TestNext:
    @pytest.mark.parametrize(
        "target",
        ["/" + "a" * 400, "/\x01x", "https://example.com/"],
        ids=["too_long", "control_character", "another_site"],
    )
    def test_a_next_that_is_no_page_of_ours_goes_home(
        self, page: Page, server: LiveServer, target: str
    ) -> None:
        """A ``next`` of 401 characters was a 422 page (最多 400 项) that lost the form."""
        phone = new_phone()
        page.goto("/login")
        page.eval_on_selector("input[name=next]", "(input, value) => input.value = value", target)
        page.fill("#phone", phone)
        with page.expect_navigation() as answer:
            page.click("form[action='/login/code'] button.primary")
        assert answer.value is not None
        assert answer.value.status == 200
        expect(page.locator("form[action='/login'] input[name=next]")).to_have_value("/")
        page.fill("#code", server.sms.sent[phone])
        page.click("form[action='/login'] button.primary")
        page.wait_for_url(f"{server.url}/")

    def test_a_long_next_at_the_staff_sign_in_goes_to_the_staff_home(
        self, page: Page, server: LiveServer
    ) -> None:
        page.goto("/staff/login")
        page.eval_on_selector("input[name=next]", "input => input.value = '/' + 'a'.repeat(400)")
        page.fill("#username", staff_holding(server, Role.CHECKPOINT, "venue-1"))
        page.fill("#password", PASSWORD)
        page.click(SIGN_IN)
        page.wait_for_url(f"{server.url}/staff")

    def test_a_next_of_ours_is_kept(self, page: Page, server: LiveServer) -> None:
        phone = new_phone()
        target = "/help?q=" + "码" * 100
        page.goto("/login?next=" + target)
        page.fill("#phone", phone)
        page.click("form[action='/login/code'] button.primary")
        page.fill("#code", server.sms.sent[phone])
        page.click("form[action='/login'] button.primary")
        page.wait_for_url("**/help?q=*")
