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
from tests.web.scanning.offline import Checkpoint
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
    expect(gate.locator("#result h1")).to_have_text("✓ 健康检查后放行")
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


def test_one_tap_on_the_result_screen_opens_the_camera_for_the_next_person(
    browser: Browser, camera_browser: CameraBrowser, server: LiveServer, checkpoint: Checkpoint
) -> None:
    """At 360 × 740 the camera sits a screen and more below the verdict: "scan the next
    person", beside the release, opens it and brings it into view in one tap; it never
    opens by itself before the guard has acted."""
    code = residents_code(browser, server)
    gate = new_context(camera_browser(code), server).new_page()
    gate.set_viewport_size({"width": 360, "height": 740})
    staff_sign_in(gate, checkpoint.username)
    gate.goto(f"/staff/venues/{checkpoint.venue_id}/scan")
    gate.get_by_role("button", name="打开摄像头").click()
    gate.wait_for_url("**/scans/*", timeout=15_000)
    first = gate.url
    expect(gate.locator("#result h1")).to_have_text("✓ 健康检查后放行")
    camera = gate.locator("[data-camera]")
    expect(camera.locator("video")).to_be_hidden()  # not opened again by itself
    expect(camera).not_to_be_in_viewport()
    gate.fill("#temperature", "36.5")
    gate.click("form.release button")  # the guard acts on this person
    expect(gate.locator("#result .released")).to_contain_text("36.5 ℃")
    expect(camera.locator("video")).to_be_hidden()
    next_person = gate.get_by_role("button", name="扫下一位")
    expect(next_person).to_be_in_viewport()
    check_page(gate)
    # hold the form when the camera reads, to see where the screen is
    gate.evaluate(
        "() => { document.querySelector('form.scan-form').requestSubmit ="
        " () => { window.read = document.querySelector('#token').value; }; }"
    )
    next_person.click()
    gate.wait_for_function("() => window.read !== undefined", timeout=15_000)
    assert gate.input_value("#token") == code
    expect(camera).to_be_in_viewport()
    assert gate.evaluate("window.scrollY") > 0
    gate.evaluate("document.querySelector('form.scan-form').submit()")
    gate.wait_for_url(lambda url: url != first and "/scans/" in url)
    expect(gate.locator("#result .flags li")).to_contain_text("已在本点扫过")
