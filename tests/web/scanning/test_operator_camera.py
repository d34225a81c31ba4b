"""The operator's camera in Chromium: the gate's fake camera films a resident's real
on-screen code; the scan screen reads it, fills the form and submits it, and the
result screen shows the green answer, recorded like a typed scan."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, Page, expect

from healthcode.store.uow import UnitOfWorkFactory
from tests.web.conftest import new_context, new_phone
from tests.web.flows import NO_WEBCRYPTO, declare_and_confirm, read_qr, sign_in
from tests.web.live import LiveServer
from tests.web.scanning.conftest import CameraBrowser
from tests.web.scanning.test_scan_pages import register_venue_and_guard
from tests.web.staff_flows import staff_sign_in
from tests.web.test_a11y import check_page


def residents_code(browser: Browser, server: LiveServer) -> str:
    """The text of a green resident's on-screen code, read off their phone's screen."""
    phone_context = new_context(browser, server)
    phone_context.add_init_script(NO_WEBCRYPTO)
    try:
        phone = phone_context.new_page()
        sign_in(phone, server, new_phone())
        declare_and_confirm(phone)
        return read_qr(phone)
    finally:
        phone_context.close()


def test_the_gates_camera_reads_a_residents_code_and_the_result_screen_answers(
    browser: Browser, page: Page, camera_browser: CameraBrowser, server: LiveServer
) -> None:
    venue_id, guard = register_venue_and_guard(page, server)
    code = residents_code(browser, server)

    gate = new_context(camera_browser(code), server).new_page()
    staff_sign_in(gate, guard)
    gate.goto(f"/staff/venues/{venue_id}/scan")
    check_page(gate)
    gate.get_by_role("button", name="打开摄像头").click()
    gate.wait_for_url("**/scans/*", timeout=15_000)
    expect(gate.locator("#result h1")).to_have_text("✓ 测温后放行")
    expect(gate.locator("#result .colour-words")).to_have_text("绿码")
    check_page(gate)
    # the camera stopped with the code it read; the next person opens it again
    expect(gate.get_by_role("button", name="打开摄像头")).to_be_visible()

    units: UnitOfWorkFactory = server.app.state.uow_factory
    with units() as uow:
        row = uow.scans.by_id(uuid.UUID(gate.url.rsplit("/", 1)[1]))
        assert row is not None
        assert (row.lane, row.colour, row.verdict, str(row.venue_id)) == (
            "camera",
            "green",
            None,
            venue_id,
        )
