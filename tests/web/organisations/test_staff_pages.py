"""The staff pages in Chromium at a phone's and a desktop's size: an employer's roster
import with its per-row report, staff accounts made and deactivated, and a resident
applying for a pass as the employer's staff."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from healthcode.services.accounts.permissions import Role
from healthcode.services.organisations.roster_files import MAX_BYTES
from healthcode.store.uow import UnitOfWorkFactory
from tests.factories.roster import staff_csv, staff_id, staff_rows, staff_xlsx, wrong_check_char
from tests.web.conftest import new_phone
from tests.web.flows import declare_and_confirm, fill_declaration, sign_in
from tests.web.live import LiveServer
from tests.web.organisations.staff import desk, staff_holding
from tests.web.staff_flows import Employer, add_employer, import_file, staff_sign_in
from tests.web.test_a11y import SIDEWAYS, check_page

SIZES = ({"width": 390, "height": 844}, {"width": 1280, "height": 800})


def check_sizes(page: Page) -> None:
    for size in SIZES:
        page.set_viewport_size(size)  # type: ignore[arg-type]
        check_page(page)
        assert page.evaluate(SIDEWAYS) == [], f"{page.url} at {size['width']} px"


@pytest.fixture
def company(server: LiveServer) -> Employer:
    return add_employer(server)


class TestRosterPage:
    def test_import_with_bad_rows_shows_the_report_then_again_changes_nothing(
        self, page: Page, company: Employer, tmp_path: Path
    ) -> None:
        staff_sign_in(page, company.admin)
        page.wait_for_url("**/staff")  # the staff home, which links what the role may use
        page.click("a[href='/staff/manage']")
        page.wait_for_url("**/staff/manage")
        check_sizes(page)
        page.click(f"a[href='/staff/employers/{company.id}/roster']")
        expect(page.locator("h1")).to_contain_text(company.name)
        check_sizes(page)
        rows = [*staff_rows(3, start=201), ("钱伟", wrong_check_char(staff_id(230)), "", "仓储部")]
        rows.append(rows[0])  # line 6: the same person twice
        path = tmp_path / "员工名单.csv"
        path.write_bytes(staff_csv(rows, encoding="gbk"))
        import_file(page, company, path)
        report = page.locator("#report")
        expect(report.get_by_role("status")).to_have_text(
            "新增 3 人，更新 0 人，未变 0 人，未导入 2 行。"
        )
        cells = report.locator("tbody tr")
        expect(cells).to_have_count(2)
        expect(cells.nth(0)).to_contain_text("5")
        expect(cells.nth(0)).to_contain_text("身份证号")
        expect(cells.nth(1)).to_contain_text("第 2 行已有相同的身份证号")
        expect(page.locator("#staff-title")).to_have_text("名单人数：3")
        check_sizes(page)
        import_file(page, company, path)
        expect(report.get_by_role("status")).to_contain_text("新增 0 人，更新 0 人，未变 3 人")
        expect(page.locator("#staff-title")).to_have_text("名单人数：3")

    def test_xlsx_and_a_missing_column(self, page: Page, company: Employer, tmp_path: Path) -> None:
        staff_sign_in(page, company.admin)
        xlsx = tmp_path / "staff.xlsx"
        xlsx.write_bytes(staff_xlsx(staff_rows(2, start=240)))
        import_file(page, company, xlsx)
        expect(page.locator("#report [role=status]")).to_contain_text("新增 2 人")
        missing = tmp_path / "no-id.csv"
        missing.write_bytes(staff_csv([("李敏", "13812340001")], header=("姓名", "手机号")))
        import_file(page, company, missing)
        expect(page.locator("#error-summary")).to_contain_text("身份证号")
        check_sizes(page)

    def test_a_file_past_the_upload_limit_is_a_page_saying_the_limit(
        self, page: Page, company: Employer, tmp_path: Path
    ) -> None:
        """The browser showed the API's raw JSON."""
        staff_sign_in(page, company.admin)
        huge = tmp_path / "staff.csv"
        huge.write_bytes(b"a" * (2 * MAX_BYTES + 10))
        import_file(page, company, huge)
        expect(page.locator("h1")).to_have_text("提交的内容过多")
        expect(page.locator("main")).to_contain_text("文件过大：不能超过 5 MB")
        check_page(page)

    def test_another_employers_roster_is_not_found(
        self, page: Page, company: Employer, server: LiveServer
    ) -> None:
        other = add_employer(server, "另一家公司")
        staff_sign_in(page, company.admin)
        answer = page.goto(f"/staff/employers/{other.id}/roster")
        assert answer is not None
        assert answer.status == 404

    def test_signed_out_goes_to_the_staff_sign_in_and_back(
        self, page: Page, company: Employer
    ) -> None:
        page.goto(f"/staff/employers/{company.id}/roster")
        page.wait_for_url("**/staff/login?next=*")
        check_sizes(page)
        page.fill("#username", company.admin)
        page.fill("#password", "wrong password here")
        page.click("form[action='/staff/login'] button.primary")
        expect(page.locator("#error-summary")).to_be_visible()
        staff_sign_in(page, company.admin)
        page.goto(f"/staff/employers/{company.id}/roster")
        expect(page.locator("h1")).to_contain_text(company.name)


class TestStaffAccountPages:
    def test_create_then_deactivate_and_the_list_keeps_it_greyed(
        self, page: Page, company: Employer
    ) -> None:
        staff_sign_in(page, company.admin)
        page.goto("/staff/accounts/new")
        check_sizes(page)
        username = f"issuer.web.{uuid.uuid4().hex[:8]}"
        page.fill("#display_name", "生产部 王芳")
        page.fill("#username", username)
        page.fill("#password", "short")
        page.click("form[action='/staff/accounts/new'] button.primary")
        expect(page.locator("#error-summary")).to_be_visible()
        check_sizes(page)
        page.fill("#password", "a long enough password 2020")
        page.select_option("#role", "issuer")
        page.click("form[action='/staff/accounts/new'] button.primary")
        page.wait_for_url("**/staff/accounts/*?created=1")
        expect(page.locator("[role=status]")).to_contain_text("账号已开设")
        expect(page.locator("ul.roles")).to_contain_text(company.name)
        check_sizes(page)
        page.fill("#reason", "调离岗位")
        page.click("form[action$='/deactivation'] button.primary")
        expect(page.locator("dl.identity")).to_contain_text("停用")
        page.goto("/staff/accounts")
        gone = page.locator("li.inactive")
        expect(gone).to_have_count(1)
        expect(gone).to_contain_text(username)
        expect(gone).to_contain_text("已于")
        check_sizes(page)
        page.context.clear_cookies()
        staff_sign_in(page, username, "a long enough password 2020")
        expect(page.locator("#error-summary")).to_contain_text("停用")

    def test_deactivated_by_mistake_refuses_a_role_then_is_reactivated(
        self, page: Page, company: Employer
    ) -> None:
        """A role given to a deactivated account (a page open from before) was granted
        in silence and served nobody; and the page hid any way to undo a deactivation."""
        staff_sign_in(page, company.admin)
        username = _new_issuer(page, "生产部 赵刚")
        account = page.url.split("?")[0]
        other = page.context.new_page()  # a second tab deactivates it meanwhile
        other.goto(account)
        other.fill("#reason", "调离岗位")
        other.click("form[action$='/deactivation'] button.primary")
        expect(other.locator("dl.identity")).to_contain_text("停用")
        other.close()
        page.select_option("#role", "org_admin")
        page.click("form[action$='/roles'] button[type=submit] >> text=授予")
        expect(page.locator("#error-summary")).to_contain_text("该账号已停用：请先重新启用")
        page.goto(account)
        expect(page.locator("form[action$='/roles']")).to_have_count(0)
        reactivate = page.locator("form[action$='/reactivation']")
        reactivate.locator("button.primary").click()  # no reason: a field error
        expect(page.locator("#reason-error")).to_be_visible()
        check_sizes(page)
        page.fill("#reason", "停错了人")
        page.locator("form[action$='/reactivation'] button.primary").click()
        page.wait_for_url(account)
        expect(page.locator("dl.identity")).to_contain_text("在用")
        expect(page.locator("ul.roles")).to_contain_text(company.name)  # its role kept
        check_sizes(page)
        page.context.clear_cookies()
        staff_sign_in(page, username, "a long enough password 2020")
        page.wait_for_url(lambda url: "/staff/login" not in url)  # signed in, not refused

    def test_an_issuers_only_role_taken_away_by_mistake_and_given_back(
        self, page: Page, company: Employer
    ) -> None:
        """Was a 404 page, and the issuer kept the role; then the account, deactivated
        with its last role, vanished from the list: only a deployment administrator
        could give it back."""
        staff_sign_in(page, company.admin)
        username = _new_issuer(page, "生产部 李强")
        account = page.url.split("?")[0]
        expect(page.locator("main")).to_contain_text("收回后账号也将停用")  # said before
        page.locator("form[action$='/roles'] button", has_text="收回").click()
        page.wait_for_url("**?last_role=1")
        expect(page.locator("[role=status]")).to_contain_text("账号已停用")  # and after
        expect(page.locator("dl.identity")).to_contain_text("停用")
        expect(page.locator("section.inactive")).to_contain_text("重新启用后将恢复以下角色")
        check_sizes(page)
        page.goto("/staff/accounts")
        gone = page.locator("li.inactive", has_text=username)
        expect(gone).to_contain_text("已于")  # when
        expect(gone).to_contain_text("最后一个角色被收回")  # why
        expect(gone).to_contain_text(company.name)  # the role it lost
        check_sizes(page)
        page.goto(account)
        page.fill("#reason", "凌晨误收回角色")
        page.locator("form[action$='/reactivation'] button.primary").click()
        page.wait_for_url(account)
        expect(page.locator("dl.identity")).to_contain_text("在用")
        expect(page.locator("ul.roles")).to_contain_text(company.name)  # its role back
        page.context.clear_cookies()
        staff_sign_in(page, username, "a long enough password 2020")
        page.wait_for_url(lambda url: "/staff/login" not in url)  # signs in again

    def test_an_org_admin_cannot_give_the_administrator_role(
        self, page: Page, company: Employer
    ) -> None:
        staff_sign_in(page, company.admin)
        page.goto("/staff/accounts/new")
        offered = page.locator("#role option").all_inner_texts()
        assert "管理员" not in offered
        assert "签发人员（签发通行卡）" in offered

    def test_a_refused_grant_names_the_role_in_words(self, page: Page, company: Employer) -> None:
        """The refusal named the role by its code ("admin"), not as the page lists it."""
        staff_sign_in(page, company.admin)
        page.goto("/staff/accounts/new")
        page.fill("#display_name", "王芳")
        page.fill("#username", f"admin.web.{uuid.uuid4().hex[:8]}")
        page.fill("#password", "a long enough password 2020")
        page.eval_on_selector("#role", "s => s.add(new Option('admin', 'admin', true, true))")
        page.click("form[action='/staff/accounts/new'] button.primary")
        summary = page.locator("#error-summary")
        expect(summary).to_contain_text("“管理员”")
        expect(summary).not_to_contain_text("admin")

    def test_an_issuer_is_offered_only_organisations(self, page: Page, server: LiveServer) -> None:
        """A region's administrator was offered the region and the employers, never
        the community: an issuer made there for the region reached no application."""
        here = desk(server, issuers=0)
        admin = staff_holding(server, Role.ADMIN, "region:371602")
        staff_sign_in(page, admin)
        page.goto("/staff/accounts/new")
        region = page.locator("#scope option[value='region:371602']")
        community = page.locator(f"#scope option[value='org:{here.organisation_id}']")
        expect(page.locator("#role")).to_have_value("issuer")
        expect(region).to_be_disabled()
        expect(community).to_be_enabled()
        expect(page.locator("#scope option:not([data-organisation]):enabled")).to_have_count(0)
        expect(page.locator("#scope-hint")).to_contain_text("签发人员须授权到具体单位")
        page.select_option("#role", "admin")
        expect(region).to_be_enabled()
        page.select_option("#scope", "region:371602")
        page.select_option("#role", "issuer")  # back to an organisation
        expect(page.locator("#scope")).not_to_have_value("region:371602")
        page.select_option("#scope", f"org:{here.organisation_id}")
        page.fill("#display_name", "黄河五路社区 李敏")
        page.fill("#username", f"issuer.web.{uuid.uuid4().hex[:8]}")
        page.fill("#password", "a long enough password 2020")
        page.click("form[action='/staff/accounts/new'] button.primary")
        page.wait_for_url("**/staff/accounts/*?created=1")
        check_sizes(page)
        old = staff_holding(server, Role.ISSUER, "region:371602")  # made before
        page.goto("/staff/accounts")
        named = page.locator("h2 span.muted", has_text=re.compile(rf"^{old}$"))
        warning = page.locator("li.card", has=named).locator(".warning")
        expect(warning).to_contain_text("此角色不能处理任何通行卡申请")
        expect(warning).to_contain_text("请按单位重新授予此角色")
        check_sizes(page)

    def test_the_organisation_is_found_by_part_of_its_name(
        self, page: Page, server: LiveServer
    ) -> None:
        """A province's administrator is offered the first 200 organisations: the one
        wanted is found by part of its name or code, without losing the form."""
        here = desk(server, issuers=0)
        admin = staff_holding(server, Role.ADMIN, "region:371602")
        staff_sign_in(page, admin)
        page.goto("/staff/accounts/new")
        option = page.locator(f"#scope option[value='org:{here.organisation_id}']")
        name = option.inner_text().strip()
        page.fill("#find", name[1:5])
        page.click("form.finder button")
        page.wait_for_url("**/staff/accounts/new?find=*")
        expect(page.locator("form.finder [role=status]")).to_contain_text("个单位与")
        expect(option).to_be_attached()
        check_page(page)
        page.fill("#find", "没有这个单位")
        page.click("form.finder button")
        expect(page.locator("form.finder .warning")).to_contain_text(
            "没有与“没有这个单位”相符的单位"
        )
        expect(page.locator("#scope option[data-organisation]")).to_have_count(0)


class TestApplyAsStaff:
    def test_the_pass_form_offers_the_employer_and_sends_it_there(
        self, page: Page, company: Employer, server: LiveServer, tmp_path: Path
    ) -> None:
        person = staff_id()  # a number of its own: a fixed one was drawn again by the sequence
        staff_sign_in(page, company.admin)
        path = tmp_path / "one.csv"
        path.write_bytes(staff_csv([("张三", person, "", "生产部")]))
        import_file(page, company, path)
        page.context.clear_cookies()
        sign_in(page, server, new_phone())
        declare_and_confirm(page, id_number=person)  # the ID number is now the account's
        fill_declaration(page, "shandong-pass", id_number=person)
        offer = page.get_by_label(f"我以{company.name}员工身份申请")
        expect(offer).to_be_visible()
        check_sizes(page)
        offer.check()
        page.click("button[value=submit]")
        page.wait_for_url("**/declarations/*")
        declaration_id = uuid.UUID(page.url.rsplit("/", 1)[-1].split("?")[0])
        units: UnitOfWorkFactory = server.app.state.uow_factory
        with units() as uow:
            row = uow.declarations.by_id(declaration_id)
            assert row is not None
            assert row.organisation_id == company.id

    def test_a_credit_code_off_the_roster_is_a_field_error(
        self, page: Page, company: Employer, server: LiveServer
    ) -> None:
        units: UnitOfWorkFactory = server.app.state.uow_factory
        with units() as uow:
            found = uow.organisations.by_id(company.id)
            assert found is not None
            code = found.credit_code
        sign_in(page, server, new_phone())
        fill_declaration(page, "shandong-pass", employer_code=code)
        page.click("button[value=submit]")
        expect(page.locator("#employer_code-error")).to_contain_text("不在")
        check_sizes(page)


def _new_issuer(page: Page, name: str) -> str:
    """An issuer of the signed-in administrator's organisation, made on the page; its
    page is left open."""
    page.goto("/staff/accounts/new")
    username = f"issuer.web.{uuid.uuid4().hex[:8]}"
    page.fill("#display_name", name)
    page.fill("#username", username)
    page.fill("#password", "a long enough password 2020")
    page.select_option("#role", "issuer")
    page.click("form[action='/staff/accounts/new'] button.primary")
    page.wait_for_url("**/staff/accounts/*?created=1")
    return username
