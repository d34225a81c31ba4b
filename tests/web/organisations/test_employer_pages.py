"""Employers' pages in Chromium (seed 003 §二–三): the staff board with its counts,
filters, required actions and CSV; the entrance's check-in list typed from the
keyboard; a missed evening shown as missing after its window; a resident's check-in
on the start page reaching the employer's administrator; another employer's
administrator told the board does not exist."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from playwright.sync_api import Page, expect

from healthcode.domain.clock import TZ
from healthcode.services.organisations.roster import enrol
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWorkFactory
from tests.factories.roster import staff_id
from tests.services.conftest import declare, new_account
from tests.web.conftest import new_phone
from tests.web.flows import declare_and_confirm, sign_in
from tests.web.live import LiveServer
from tests.web.staff_flows import Employer, add_employer, staff_sign_in
from tests.web.test_a11y import SIDEWAYS, check_page

SIZES = ({"width": 390, "height": 844}, {"width": 1280, "height": 800})


def check_sizes(page: Page) -> None:
    for size in SIZES:
        page.set_viewport_size(size)  # type: ignore[arg-type]
        check_page(page)
        assert page.evaluate(SIDEWAYS) == [], f"{page.url} at {size['width']} px"


@pytest.fixture
def company(server: LiveServer) -> Employer:
    """An employer whose roster holds 王强 (no code yet), 韩磊, a close contact (red),
    and 陈静 (green)."""
    found = add_employer(server)
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    wang, han = staff_id(), staff_id()
    with units() as uow:
        enrol(uow, env, organisation_id=found.id, name="王强", id_number=wang, department="生产部")
        enrol(uow, env, organisation_id=found.id, name="韩磊", id_number=han, department="仓储部")
        account = new_account(uow, env, new_phone())
        exposure = [{"kind": "close_contact"}]
        declare(uow, env, account, "binzhou-code", name="韩磊", id_number=han, exposures=exposure)
        chen = staff_id()
        enrol(uow, env, organisation_id=found.id, name="陈静", id_number=chen)
        account = new_account(uow, env, new_phone())
        declare(uow, env, account, "binzhou-code", name="陈静", id_number=chen)
    return found


class TestBoard:
    def test_colours_actions_filters_and_csv(self, page: Page, company: Employer) -> None:
        staff_sign_in(page, company.admin)
        page.goto(f"/staff/employers/{company.id}/roster")
        page.click(f"a[href='/staff/employers/{company.id}/board']")
        expect(page.locator("h1")).to_contain_text(company.name)
        han = page.locator("table.stack tbody tr", has_text="韩磊")
        expect(han).to_contain_text("红码")
        expect(han).to_contain_text("集中隔离至 2020-03-07")
        wang = page.locator("table.stack tbody tr", has_text="王强")
        expect(wang).to_contain_text("尚无健康码")
        expect(wang).to_contain_text("不在岗")  # not at work: no check-in expected
        expect(wang).not_to_contain_text("待打卡")
        expect(wang).not_to_contain_text("身份证")
        chen = page.locator("table.stack tbody tr", has_text="陈静")
        expect(chen).to_contain_text("待打卡")  # the morning window is open at 09:00
        check_sizes(page)
        page.click("nav a:has-text('非绿码')")
        expect(page.locator("table.stack tbody tr")).to_have_count(2)
        with page.expect_download() as download:
            page.click("a:has-text('导出 CSV')")
        path = download.value.path()
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        assert rows[0] == ["姓名", "部门", "颜色", "早间", "晚间", "处置要求", "截止日期"]
        assert len(rows) == 3  # the filter holds: the header and the two not green
        han_row = next(r for r in rows if r[0] == "韩磊")
        assert han_row[-2:] == ["集中隔离至 2020-03-07", "2020-03-07"]

    def test_a_missed_evening_shows_as_missing_after_the_window(
        self, page: Page, company: Employer, server: LiveServer
    ) -> None:
        server.clock.set(datetime(2020, 2, 23, 20, 30, tzinfo=TZ))
        staff_sign_in(page, company.admin)
        page.goto(f"/staff/employers/{company.id}/board?only=missing")
        rows = page.locator("table.stack tbody tr")
        # the green one missed the morning; the red and the one with no code are not
        # at work, so not expected to check in (seed 003: 上岗人员每日早晚两次人体测温)
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("陈静")
        expect(rows.first.locator("td.status-open")).to_have_count(1)  # the evening: due
        server.clock.set(datetime(2020, 2, 23, 21, 1, tzinfo=TZ))
        page.reload()
        expect(rows.first.locator("td.status-missing")).to_have_count(2)
        expect(page.locator(".counts")).to_contain_text("1 未打卡")
        check_sizes(page)

    def test_another_employers_administrator_gets_not_found(
        self, page: Page, company: Employer, server: LiveServer
    ) -> None:
        other = add_employer(server, "另一家公司")
        staff_sign_in(page, other.admin)
        for path in ("board", "board.csv", "checkins"):
            answer = page.goto(f"/staff/employers/{company.id}/{path}")
            assert answer is not None
            assert answer.status == 404, path
            expect(page.locator("body")).not_to_contain_text("韩磊")


class TestRemoval:
    def test_one_who_left_is_taken_off_after_a_confirmation(
        self, page: Page, company: Employer
    ) -> None:
        """Someone who left stayed on the board for ever, counted missing twice a day,
        the colour of their code still shown to the employer."""
        staff_sign_in(page, company.admin)
        page.goto(f"/staff/employers/{company.id}/roster")
        page.get_by_role("link", name="将 韩磊 移出名单").click()
        expect(page.locator("h1")).to_have_text("将 韩磊 移出名单？")
        check_sizes(page)
        page.get_by_role("link", name="取消，返回员工名单").click()  # nothing happened
        expect(page.locator(".people li")).to_have_count(3)
        page.get_by_role("link", name="将 韩磊 移出名单").click()
        confirm = page.url
        page.get_by_role("button", name="将 韩磊 移出名单").click()
        expect(page.get_by_role("status")).to_contain_text("已将 韩磊")
        assert page.url.split("?")[0].endswith(f"/staff/employers/{company.id}/roster")
        page.reload()  # a GET after the redirect: nothing is posted again
        expect(page.get_by_role("status")).to_contain_text("已将 韩磊")
        expect(page.locator(".people li")).to_have_count(2)
        expect(page.locator(".people")).not_to_contain_text("韩磊")
        check_sizes(page)
        page.goto(f"/staff/employers/{company.id}/board")
        expect(page.locator("table.stack tbody tr")).to_have_count(2)
        expect(page.locator("main")).not_to_contain_text("韩磊")
        counts = page.locator(".counts li")
        expect(counts.nth(0)).to_have_text("2 名单人数")
        expect(counts.nth(3)).to_have_text("0 红码")  # 韩磊's colour is no longer shown
        page.goto(f"/staff/employers/{company.id}/checkins")
        expect(page.locator("main")).not_to_contain_text("韩磊")
        answer = page.goto(confirm)  # taken off already: nobody to confirm
        assert answer is not None
        assert answer.status == 404


class TestEntrance:
    def test_readings_typed_from_the_keyboard_flag_a_fever(
        self, page: Page, company: Employer
    ) -> None:
        staff_sign_in(page, company.admin)
        page.goto(f"/staff/employers/{company.id}/checkins")
        check_sizes(page)
        first = page.get_by_label("韩磊 的体温")  # 仓储部 comes before 生产部
        first.fill("3.65")
        first.press("Enter")
        expect(page.locator("#error-summary")).to_be_visible()
        expect(page.locator("tr", has_text="韩磊").locator(".error")).to_contain_text("34")
        check_sizes(page)
        first.fill("36.4")
        page.keyboard.press("Tab")  # to 韩磊's symptoms box
        page.keyboard.press("Space")  # 韩磊 has symptoms
        page.keyboard.press("Tab")  # to the next person's temperature
        page.keyboard.type("38.2")
        page.keyboard.press("Enter")
        expect(page.locator("[role=status]")).to_have_text("已保存 2 条打卡记录。")
        expect(page.locator("tr", has_text="王强")).to_contain_text("异常")
        page.goto(f"/staff/employers/{company.id}/board?only=flagged")
        expect(page.locator("table.stack tbody tr")).to_have_count(2)
        expect(page.locator("tr", has_text="王强")).to_contain_text("38.2 ℃")
        expect(page.locator("tr", has_text="韩磊")).to_contain_text("有症状")
        page.goto("/notifications")
        expect(page.locator("main")).to_contain_text("王强 的健康打卡异常")

    def test_symptoms_ticked_without_a_temperature_are_named_beside_the_row(
        self, page: Page, company: Employer
    ) -> None:
        """The row was skipped as empty: "saved 1", and the person with symptoms went
        unrecorded."""
        staff_sign_in(page, company.admin)
        page.goto(f"/staff/employers/{company.id}/checkins")
        page.locator("tr", has_text="韩磊").get_by_role("checkbox").check()
        page.get_by_label("王强 的体温").fill("36.5")
        page.get_by_label("王强 的体温").press("Enter")
        expect(page.locator("#error-summary")).to_be_visible()
        expect(page.locator("tr", has_text="韩磊").locator(".error")).to_contain_text("体温")
        expect(page.locator("tr", has_text="韩磊").get_by_role("checkbox")).to_be_checked()
        expect(page.get_by_label("王强 的体温")).to_have_value("36.5")

    def test_every_rows_error_is_named_in_one_round(self, page: Page, company: Employer) -> None:
        """A row the page could not read (not a number) was refused alone; the guard
        fixed it and only then learned that another row was out of range."""
        staff_sign_in(page, company.admin)
        page.goto(f"/staff/employers/{company.id}/checkins")
        page.get_by_label("韩磊 的体温").fill("365")
        page.get_by_label("王强 的体温").fill("abc")
        page.get_by_label("王强 的体温").press("Enter")
        expect(page.locator("#error-summary")).to_be_visible()
        expect(page.locator("tr", has_text="韩磊").locator(".error")).to_contain_text("34")
        expect(page.locator("tr", has_text="王强").locator(".error")).to_contain_text("36.5")
        listed = page.locator("#error-summary li")
        expect(listed).to_have_count(2)
        expect(listed.first).to_contain_text("34")  # in the page's order: 韩磊 first
        expect(page.get_by_label("韩磊 的体温")).to_have_value("365")
        page.goto(f"/staff/employers/{company.id}/board?only=flagged")
        expect(page.locator("table.stack tbody tr")).to_have_count(0)

    def test_between_windows_the_page_says_when(
        self, page: Page, company: Employer, server: LiveServer
    ) -> None:
        server.clock.set(datetime(2020, 2, 23, 13, 0, tzinfo=TZ))
        staff_sign_in(page, company.admin)
        page.goto(f"/staff/employers/{company.id}/checkins")
        expect(page.locator(".banner.warn")).to_contain_text("早 06:00–10:00，晚 17:00–21:00")
        check_sizes(page)


class TestResidentCheckIn:
    def test_a_resident_on_the_roster_checks_in_on_the_start_page(
        self, page: Page, server: LiveServer
    ) -> None:
        company = add_employer(server, "黄河机械厂")
        person = staff_id()
        env: Env = server.app.state.env
        units: UnitOfWorkFactory = server.app.state.uow_factory
        with units() as uow:
            enrol(uow, env, organisation_id=company.id, name="郑浩", id_number=person)
        sign_in(page, server, new_phone())
        declare_and_confirm(page, name="郑浩", id_number=person)
        page.goto("/")
        card = page.locator("#checkin")
        expect(card).to_contain_text("今日健康打卡")
        expect(card).to_contain_text("黄河机械厂")
        check_sizes(page)
        card.get_by_label("体温（℃）").fill("三十七")
        card.get_by_label("没有").check()
        card.get_by_role("button").click()
        expect(page.locator("#temperature-error")).to_have_text("请填写数字，例如 36.5")
        check_sizes(page)
        card = page.locator("#checkin")
        card.get_by_label("体温（℃）").fill("37.8")
        card.get_by_role("button").click()
        expect(card.locator("[role=status]")).to_contain_text("打卡成功")
        expect(card).to_contain_text("早间已打卡：37.8 ℃")
        expect(card).to_contain_text("已告知您的单位")
        check_sizes(page)
        page.context.clear_cookies()
        staff_sign_in(page, company.admin)
        page.goto("/notifications")
        expect(page.locator("main")).to_contain_text("郑浩 的健康打卡异常")
