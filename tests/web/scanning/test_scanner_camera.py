"""The camera on the offline scanner, in Chromium: with the network cut, the gate's
fake camera films a resident's real on-screen code; the page verifies it itself,
shows the green answer and queues one record; the camera closes with the code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import Browser, expect

from healthcode.domain.tokens import DEVICE_PREFIX
from healthcode.domain.tokens.attestation import decode_presentation
from tests.web.conftest import new_context, new_phone
from tests.web.flows import declare_and_confirm, read_qr, sign_in
from tests.web.live import LiveServer
from tests.web.scanning.conftest import CameraBrowser
from tests.web.scanning.offline import Checkpoint, open_scanner
from tests.web.test_a11y import check_page


def presented_at(code: str) -> datetime:
    """When the phone made this code (the time it signed), for the scanner's clock."""
    return datetime.fromtimestamp(decode_presentation(code).at, UTC)


def test_the_offline_scanners_camera_reads_a_residents_live_code(
    browser: Browser, camera_browser: CameraBrowser, server: LiveServer, checkpoint: Checkpoint
) -> None:
    phone_context = new_context(browser, server)
    phone = phone_context.new_page()
    sign_in(phone, server, new_phone())
    declare_and_confirm(phone)
    expect(phone.locator("[data-device-until]")).to_be_visible()
    code = read_qr(phone)
    phone_context.close()
    assert code.startswith(DEVICE_PREFIX)

    gate_context = new_context(camera_browser(code), server)
    gate = open_scanner(gate_context, server, checkpoint)
    gate_context.set_offline(True)
    gate.reload()  # from the worker: the camera's modules too
    expect(gate.locator("[data-scanner][data-ready=true]")).to_be_attached()
    gate.clock.set_fixed_time(presented_at(code) + timedelta(seconds=2))
    gate.get_by_role("button", name="打开摄像头").click()

    result = gate.locator("#scan-result")
    expect(result).to_have_attribute("data-verdict", "valid", timeout=15_000)
    expect(gate.locator("#scan-word")).to_have_text("绿码")
    expect(gate.locator("#scan-action")).to_have_text(
        "进行健康检查后，点击确认放行。"
    )  # the policy's words
    expect(gate.locator("#scanner-queue")).to_have_attribute("data-waiting", "1")
    # the camera closed with the code it read; the next person opens it again
    expect(gate.get_by_role("button", name="打开摄像头")).to_be_visible()
    check_page(gate)
