"""The camera in real Chromium: a fake camera films a real QR code and the 扫一扫 page
(static/scanner/camera.js over the vendored zxing-wasm) reads it."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.factories.qr import decode
from tests.web.conftest import new_context
from tests.web.live import LiveServer
from tests.web.scanning.camera import qr_picture, qr_video
from tests.web.scanning.conftest import CameraBrowser
from tests.web.test_a11y import check_page


def test_the_video_shows_a_readable_code(tmp_path: Path) -> None:
    video = qr_video("HC1:TEST", tmp_path / "qr.y4m")
    header, _, rest = video.read_bytes().partition(b"\n")
    assert header.startswith(b"YUV4MPEG2 W640 H480")
    assert rest.startswith(b"FRAME\n")
    assert decode(qr_picture("HC1:TEST")).text == "HC1:TEST"


def test_a_venue_code_seen_by_the_camera_opens_its_page(
    camera_browser: CameraBrowser, server: LiveServer
) -> None:
    page = new_context(camera_browser(f"{server.url}/v/TESTVENUE1"), server).new_page()
    page.goto("/scan")
    check_page(page)
    page.get_by_role("button", name="打开摄像头").click()
    # the venue's page, which first asks a signed-out visitor to sign in
    page.wait_for_url(re.compile(r"/login\?next=%2Fv%2FTESTVENUE1$"), timeout=15_000)


def test_another_code_is_named_as_not_a_venue_and_the_camera_goes_on(
    camera_browser: CameraBrowser, server: LiveServer
) -> None:
    page = new_context(camera_browser("https://elsewhere.example/v/X1"), server).new_page()
    page.goto("/scan")
    page.get_by_role("button", name="打开摄像头").click()
    expect(page.locator("#scan-other")).to_contain_text("不是本站的场所码", timeout=15_000)
    expect(page.locator("video")).to_be_visible()
    page.get_by_role("button", name="关闭摄像头").click()
    expect(page.locator("video")).to_be_hidden()
    assert page.evaluate("document.querySelector('video').srcObject") is None


def test_without_a_camera_the_page_says_so_and_the_code_can_be_typed(
    page: Page, server: LiveServer
) -> None:
    page.goto("/scan")  # the plain test browser has no camera to give
    page.get_by_role("button", name="打开摄像头").click()
    expect(page.locator("[data-camera-status]")).to_contain_text("输入", timeout=15_000)
    check_page(page)
    page.get_by_label("或输入场所码或链接").fill("https://elsewhere.example/v/X1")
    page.get_by_role("button", name="前往").click()
    expect(page.locator("#scan-problem")).to_contain_text("不是本站的场所码")
    page.get_by_label("或输入场所码或链接").fill(f"{server.url}/v/TESTVENUE2")
    page.get_by_role("button", name="前往").click()
    page.wait_for_url(re.compile(r"/login\?next=%2Fv%2FTESTVENUE2$"))


DEDUPE = """async () => {
  const { startCamera } = await import("/static/scanner/camera.js");
  const video = document.createElement("video");
  document.body.append(video);
  const texts = [];
  const camera = await startCamera(video, (text) => texts.push(text), { repeatMs: 3000 });
  await new Promise((done) => setTimeout(done, 2500));
  const read = texts.slice();
  camera.stop();
  return { read, ended: camera.stream.getTracks().every((t) => t.readyState === "ended") };
}"""


def test_a_code_held_in_front_of_the_camera_is_one_text_and_stop_ends_the_stream(
    camera_browser: CameraBrowser, server: LiveServer
) -> None:
    page = new_context(camera_browser("HC1:HELD-STILL"), server).new_page()
    page.goto("/scan")
    # about 12 frames are read in 2.5 s; the same text within 3 s is handed on once
    assert page.evaluate(DEDUPE) == {"read": ["HC1:HELD-STILL"], "ended": True}
