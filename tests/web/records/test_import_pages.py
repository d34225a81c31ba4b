"""The imports pages in Chromium: a data operator uploads a close-contact file (GBK),
reads the report, the resident named turns red; rollback turns them green again; a
batch outside the operator's region is not found."""

from __future__ import annotations

import csv
import io
import itertools
import os
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from healthcode.domain.colour import Colour
from healthcode.services.accounts.login import create_staff
from healthcode.services.accounts.permissions import Role
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWorkFactory
from tests.factories.inputs import id_number
from tests.services.conftest import declare, new_account
from tests.web.live import LiveServer
from tests.web.staff_flows import PASSWORD, staff_sign_in
from tests.web.test_a11y import check_page

_serial = itertools.count(1)


def operator(server: LiveServer, region: str = "371600") -> str:
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    username = f"data.{os.getpid()}.{next(_serial)}"
    with units() as uow:
        create_staff(
            uow, env, username=username, password=PASSWORD, display_name="数据专员",
            roles=[(Role.DATA_OPERATOR, f"region:{region}")],
        )  # fmt: skip
    return username


def green_resident(server: LiveServer) -> tuple[uuid.UUID, str]:
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    number = id_number()
    with units() as uow:
        account = new_account(uow, env, f"136{next(_serial):08d}")
        assert declare(uow, env, account, id_number=number).colour is Colour.GREEN
        assert account.resident_id is not None
        return account.resident_id, number


def colour(server: LiveServer, resident_id: uuid.UUID) -> str:
    units: UnitOfWorkFactory = server.app.state.uow_factory
    with units() as uow:
        code = uow.codes.of_resident(resident_id, "binzhou-code")
        assert code is not None
        return code.colour


def test_upload_report_and_rollback(page: Page, server: LiveServer, tmp_path: Path) -> None:
    resident, number = green_resident(server)
    staff_sign_in(page, operator(server))
    page.goto("/staff/records/imports")
    expect(page.locator("h1")).to_be_visible()
    check_page(page)
    today = server.clock.now().date().isoformat()
    path = tmp_path / "密接名单.csv"
    rows = f"记录编号,身份证号,开始日期\r\nWEB-1,{number},{today}\r\nWEB-2,12345,{today}\r\n"
    path.write_bytes(rows.encode("gbk"))
    # a stale or tampered kind is refused, not replaced by the first kind offered
    page.evaluate("document.querySelector('#kind option').value = 'bogus'")
    page.select_option("#kind", "bogus")
    page.set_input_files("#file", str(path))
    page.click("form[enctype] button.primary")
    expect(page.locator("main")).to_contain_text("请选择报送部门和记录类别")
    assert colour(server, resident) == "green"
    page.select_option("#department", "health")
    page.select_option("#kind", "close_contact")
    page.set_input_files("#file", str(path))
    page.click("form[enctype] button.primary")
    report = page.locator("#report")
    expect(report.locator("thead")).to_contain_text("列")
    expect(report.locator("tbody tr").first).to_contain_text("身份证号 (id_number)")
    expect(report.get_by_role("status")).to_contain_text("1")
    expect(report.locator("tbody tr")).to_have_count(1)
    expect(report.locator("tbody tr").first).to_contain_text("3")
    check_page(page)
    assert colour(server, resident) == "red"

    report.locator("a").click()
    expect(page.locator("#status")).to_be_visible()
    expect(page.locator("#recoloured")).to_have_text("1")  # done, not "under way"
    check_page(page)
    page.click("form[action$='/rollback'] button")
    expect(page.locator("form[action$='/rollback']")).to_have_count(0)
    assert colour(server, resident) == "green"


def test_a_batch_outside_the_operators_region_is_not_found(
    page: Page, server: LiveServer, tmp_path: Path
) -> None:
    _, number = green_resident(server)
    staff_sign_in(page, operator(server, "371600"))
    path = tmp_path / "cc.csv"
    path.write_bytes(f"source_id,id_number,start\r\nWEB-9,{number},2020-02-22\r\n".encode())
    page.goto("/staff/records/imports")
    page.set_input_files("#file", str(path))
    page.click("form[enctype] button.primary")
    href = page.locator("#report a").get_attribute("href")
    assert href is not None
    page.context.clear_cookies()
    staff_sign_in(page, operator(server, "370100"))
    page.wait_for_load_state()
    response = page.goto(href)
    assert response is not None
    assert response.status == 404


def test_every_refused_row_in_a_file_to_fix(page: Page, server: LiveServer, tmp_path: Path) -> None:
    """Two hundred refused rows are shown; the file a department fixes holds all 205,
    in line order, each with its reason in the operator's language."""
    staff_sign_in(page, operator(server))
    today = server.clock.now().date().isoformat()
    path = tmp_path / "cc.csv"
    bad = "".join(f"BAD-{i},37010219800101{i:04d},{today}\r\n" for i in range(205))
    path.write_text(f"source_id,id_number,start\r\n{bad}", encoding="utf-8")
    page.goto("/staff/records/imports")
    page.select_option("#department", "health")
    page.select_option("#kind", "close_contact")
    page.set_input_files("#file", str(path))
    page.click("form[enctype] button.primary")
    page.locator("#report a").click()
    expect(page.locator("table.report tbody tr")).to_have_count(200)
    expect(page.get_by_text("仅显示前200条")).to_be_visible()
    check_page(page)

    with page.expect_download() as download:
        page.click("#refused-file")
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["行号", "列", "原因"]
    assert [int(r[0]) for r in rows[1:]] == list(range(2, 207))
    assert {r[1] for r in rows[1:]} == {"身份证号 (id_number)"}
    assert not [r for r in rows[1:] if r[2].isascii()]  # the reason in words, in Chinese
