"""The staff pages in Chromium: the queue and the sign screen one-handed on a phone,
out-of-scope issuers, two-officer overrides, the counter application; axe clean at
phone and desktop size."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from healthcode.services.accounts.permissions import Role
from healthcode.store import tables as t
from healthcode.web.pages.organisations import review
from tests.factories.inputs import id_number
from tests.services.organisations.review import apply
from tests.services.records.helpers import csv_bytes, run_import
from tests.web.conftest import new_context
from tests.web.flows import sign_in
from tests.web.live import LiveServer
from tests.web.organisations.staff import (
    desk,
    fill_counter,
    resident_phone,
    set_suspended,
    staff_holding,
    staff_sign_in,
)
from tests.web.test_a11y import SIDEWAYS, check_page

DESKTOP = {"width": 1280, "height": 900}


def thumb_reachable(page: Page, selector: str) -> bool:
    """The control sits in the lower half of the phone's screen, where a thumb reaches."""
    box = page.locator(selector).bounding_box()
    height = page.viewport_size["height"] if page.viewport_size else 844
    return box is not None and box["y"] > height / 2 and box["y"] + box["height"] <= height


class TestQueueAndSigning:
    def test_an_issuer_signs_yellow_from_the_phone_and_the_resident_is_told(
        self, page: Page, server: LiveServer, browser: Browser
    ) -> None:
        here = desk(server, temperatures=(36.5, 37.9))
        staff_sign_in(page, server, here.issuers[0])
        expect(page.locator("#counts-title")).to_contain_text("2")
        expect(page.locator(".queue-item")).to_have_count(2)
        assert page.evaluate(SIDEWAYS) == []
        page.click("a.count.c-red")
        expect(page.locator(".queue-item")).to_have_count(1)
        page.goto("/staff/queue")
        page.click(f"a[href='/staff/applications/{here.applications[0]}']")
        page.wait_for_url("**/staff/applications/*")
        assert thumb_reachable(page, ".jump .button"), "the decision must be within thumb reach"
        assert page.evaluate(SIDEWAYS) == []
        page.click(".jump .button")
        page.check("input[name=colour][value=yellow]")
        page.click("form.decide button.primary")
        expect(page.locator("#requested-error")).to_be_visible()  # say what is needed
        page.check("input[name=colour][value=yellow]")
        page.check("#need-temperature")
        page.fill("#note", "视频中未能看清体温计读数")  # stricter than the rules: say why
        page.click("form.decide button.primary")
        page.wait_for_url("**/staff/queue?signed=yellow")
        expect(page.locator(".banner.ok")).to_contain_text("已告知")
        expect(page.locator(".queue-item")).to_have_count(1)

        phone = resident_phone(server, here.applications[0])
        resident = new_context(browser, server).new_page()
        sign_in(resident, server, phone)
        resident.goto("/codes/shandong-pass")
        expect(resident.locator("#needed")).to_contain_text("体温")

    def test_the_queue_and_the_application_name_the_department_behind_a_finding(
        self, page: Page, server: LiveServer
    ) -> None:
        """The big-data check's finding from a close-contact file says who sent it."""
        here, number = desk(server), id_number()
        env, units = server.app.state.env, server.app.state.uow_factory
        with units() as uow:
            applied = apply(
                uow, env, uow.session.get(t.Organisation, here.organisation_id), number=number
            )
        server.clock.advance(timedelta(minutes=5))
        with units() as uow:
            start = server.clock.now().date().isoformat()
            run_import(
                uow, env, csv_bytes([("source_id", "id_number", "start"), ("CC-1", number, start)])
            )
        staff_sign_in(page, server, here.issuers[0])
        expect(page.locator(".queue-item")).to_contain_text("卫生健康部门")
        page.click(f"a[href='/staff/applications/{applied}']")
        expect(page.locator(".reasons")).to_contain_text("来自部门数据 · 卫生健康部门")

    def test_a_long_queue_is_paged_with_its_filters(
        self, page: Page, server: LiveServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Only the oldest 50 of 360 were shown, with no way on (found from outside)."""
        monkeypatch.setattr(review, "QUEUE_PAGE", 2)
        here = desk(server, temperatures=(36.5, 36.6, 36.7))
        staff_sign_in(page, server, here.issuers[0], then="/staff/queue?suggested=green")
        items = page.locator(".queue-item")
        expect(items).to_have_count(2)
        expect(page.locator("[role=status]").first).to_contain_text("显示第 1 至 2 件，共 3 件")
        first = {items.nth(i).get_attribute("href") for i in range(2)}
        page.get_by_role("link", name="下一页申请").click()
        expect(items).to_have_count(1)
        assert "suggested=green" in page.url
        shown = first | {items.first.get_attribute("href")}
        assert shown == {f"/staff/applications/{a}" for a in here.applications}
        expect(page.get_by_role("link", name="下一页申请")).to_have_count(0)

    def test_an_issuer_of_another_community_sees_nothing(
        self, page: Page, server: LiveServer
    ) -> None:
        mine = desk(server, temperatures=(36.5,))
        other = desk(server, region="370102")
        staff_sign_in(page, server, other.issuers[0])
        expect(page.locator("#counts-title")).to_contain_text("0")
        expect(page.locator(".queue-item")).to_have_count(0)
        response = page.goto(f"/staff/applications/{mine.applications[0]}")
        assert response is not None
        assert response.status == 404

    def test_a_regional_issuer_is_told_why_nothing_is_theirs(
        self, page: Page, server: LiveServer
    ) -> None:
        """It read the whole county's queue and could sign none of it."""
        here = desk(server, temperatures=(36.5,))
        staff_sign_in(page, server, staff_holding(server, Role.ISSUER, "region:371602"))
        expect(page.locator("#no-reach")).to_contain_text("没有需要您审核的申请")
        expect(page.locator("#no-reach")).to_contain_text("地区或全省")
        expect(page.locator("#no-reach a[href='/staff/authorisations/apply']")).to_be_visible()
        expect(page.locator("#counts-title")).to_have_count(0)
        check_page(page)
        response = page.goto(f"/staff/applications/{here.applications[0]}")
        assert response is not None
        assert response.status == 404

    def test_a_suspended_organisations_issuer_is_told_until_it_is_reactivated(
        self, page: Page, server: LiveServer
    ) -> None:
        here = desk(server, temperatures=(36.5,))
        staff_sign_in(page, server, here.issuers[0])
        set_suspended(server, here.organisation_id, True)
        for path in ("/staff/queue", f"/staff/applications/{here.applications[0]}"):
            response = page.goto(path)
            assert response is not None
            assert response.status == 409
            expect(page.locator("main")).to_contain_text("已被暂停，暂不能审核签发通行卡申请")
        set_suspended(server, here.organisation_id, False)
        page.goto("/staff/queue")
        # its own application is back; the county's applications that waited with no
        # community (other tests', made before any) have come to it too
        mine = page.locator(f".queue-item[href='/staff/applications/{here.applications[0]}']")
        expect(mine).to_have_count(1)

    def test_a_page_without_a_staff_session_asks_to_sign_in(self, page: Page) -> None:
        page.goto("/staff/queue")
        page.wait_for_url("**/staff/login?next=%2Fstaff%2Fqueue")


class TestOverrides:
    def test_one_officer_proposes_another_approves_and_the_resident_sees_why(
        self, page: Page, server: LiveServer, browser: Browser
    ) -> None:
        here = desk(server, issuers=2, temperatures=(38.2,))
        staff_sign_in(page, server, here.issuers[0])
        page.goto(f"/staff/applications/{here.applications[0]}")
        page.click("a[href^='/staff/overrides/new']")
        page.check("input[name=colour][value=green]")
        page.fill("#reason", "太短")
        page.click("form button.primary")
        expect(page.locator("#reason-error")).to_be_visible()
        page.check("input[name=colour][value=green]")
        page.fill("#reason", "视频核实体温36.5℃，申报时误填38.2")
        page.click("form button.primary")
        page.wait_for_url("**/staff/overrides?done=proposed")
        expect(page.locator("button[value=approve]")).to_have_count(0)  # not one's own

        second = new_context(browser, server).new_page()
        staff_sign_in(second, server, here.issuers[1], then="/staff/overrides")
        # a stale or tampered form's answer is neither: refused, not taken as a rejection
        second.evaluate("document.querySelector('button[value=approve]').value = 'maybe'")
        second.click("button[value=maybe]")
        expect(second.locator("p.error[role=alert]")).to_contain_text("按钮")
        expect(second.locator("button[value=approve]")).to_have_count(1)  # still proposed
        second.click("button[value=approve]")
        second.wait_for_url("**/staff/overrides?done=approved")

        resident = new_context(browser, server).new_page()
        sign_in(resident, server, resident_phone(server, here.applications[0]))
        resident.goto("/codes/shandong-pass/history")
        expect(resident.locator(".override-note")).to_contain_text("申报时误填38.2")


class TestCounter:
    def test_a_person_without_a_phone_gets_a_signed_pass(
        self, page: Page, server: LiveServer
    ) -> None:
        here = desk(server)
        staff_sign_in(page, server, here.issuers[0], then="/staff/counter")
        fill_counter(page, id_card_checked=False)
        page.click("form button.primary")
        expect(page.locator("#id_card_checked-error")).to_be_visible()
        page.check("#id_card_checked")
        page.check("#pledge-box")
        page.check("input[name=colour][value=green]")
        page.click("form button.primary")
        expect(page.locator("h1")).to_have_text("已签发的通行卡")
        expect(page.locator(".printable .colour")).to_contain_text("绿色")


def test_the_staff_pages_pass_axe_at_phone_and_desktop_size(page: Page, server: LiveServer) -> None:
    here = desk(server, temperatures=(37.9,))
    staff_sign_in(page, server, here.issuers[0])
    pages = [
        "/staff/queue",
        "/staff/queue?suggested=red&waiting=2",
        f"/staff/applications/{here.applications[0]}",
        "/staff/overrides",
        "/staff/counter",
    ]
    for size in (None, DESKTOP):
        if size is not None:
            page.set_viewport_size(size)  # type: ignore[arg-type]
        for path in pages:
            page.goto(path)
            check_page(page)
            assert page.evaluate(SIDEWAYS) == [], path
    page.goto("/staff/counter")
    page.click("form button.primary")  # every error shown
    check_page(page)
