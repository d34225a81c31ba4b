"""The optional temperature video from the resident's pending pass, in Chromium:
a file input that opens the camera on a phone, refusals beside the field, delete."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import BrowserContext, FilePayload, Page, expect

from healthcode.services.residents.videos import VideoSummary
from healthcode.web.templating import environment
from tests.factories import videos as make
from tests.web import live
from tests.web.conftest import new_phone
from tests.web.flows import declare_and_confirm, sign_in
from tests.web.live import LiveServer
from tests.web.test_a11y import check_page

DESKTOP = {"width": 1280, "height": 900}


def video_file(data: bytes, name: str = "体温.mp4", kind: str = "video/mp4") -> FilePayload:
    return {"name": name, "mimeType": kind, "buffer": data}


def open_video_page(page: Page, server: LiveServer) -> None:
    sign_in(page, server, new_phone())
    declare_and_confirm(page, "shandong-pass")
    page.click("text=上传测量体温小视频（选填）")
    page.wait_for_url("**/declarations/*/video")


def test_a_resident_uploads_replaces_and_deletes_a_video(
    page: Page, server: LiveServer, tmp_path: Path
) -> None:
    open_video_page(page, server)
    field = page.locator("#video")
    expect(field).to_have_attribute("capture", "user")
    expect(field).to_have_attribute("accept", "video/mp4,video/webm,video/quicktime,video/*")
    check_page(page)

    big = tmp_path / "long.mp4"
    big.write_bytes(make.mp4(10, size=20 * 1024 * 1024 + 1))
    field.set_input_files(big)
    expect(page.locator("#video-size")).to_have_text("视频太大：最多 20 MB，请录制短一些的视频")
    before = page.url
    page.click("button:has-text('上传视频')")  # the browser keeps the form: nothing is sent
    assert page.url == before
    assert page.locator("#video").evaluate("(el) => !el.validity.valid")
    check_page(page)

    field.set_input_files(video_file(make.PNG, "photo.mp4"))  # an image renamed .mp4
    page.click("button:has-text('上传视频')")
    expect(page.locator("#video-error")).to_contain_text("不是可接受的视频")
    expect(page.locator("#video")).to_have_attribute("aria-invalid", "true")
    check_page(page)

    page.locator("#video").set_input_files(video_file(make.mp4(45)))
    page.click("button:has-text('上传视频')")
    expect(page.locator("#video-error")).to_contain_text("视频长 45 秒：请不要超过 30 秒")

    page.locator("#video").set_input_files(video_file(make.mp4(12.5, size=40_000)))
    page.click("button:has-text('上传视频')")
    expect(page.locator(".banner[role=status]")).to_contain_text("视频已上传")
    expect(page.locator("video")).to_have_count(1)
    expect(page.locator("#current-meta")).to_contain_text("12.5 秒")
    # the player's source answers ranges, privately
    src = page.locator("video").get_attribute("src")
    assert src is not None
    answer = page.request.get(src, headers={"Range": "bytes=0-99"})
    assert answer.status == 206
    assert answer.body() == make.mp4(12.5, size=40_000)[:100]
    assert answer.headers["cache-control"] == "private, no-store"
    for size in (None, DESKTOP):
        if size:
            page.set_viewport_size(size)  # type: ignore[arg-type]
        check_page(page)

    page.locator("#video").set_input_files(video_file(make.webm(6), "new.webm", "video/webm"))
    page.click("button:has-text('上传视频')")
    expect(page.locator("#current-meta")).to_contain_text("6.0 秒")

    page.click("button:has-text('删除我的视频')")
    expect(page.locator(".banner[role=status]")).to_contain_text("您的视频已删除")
    expect(page.locator("video")).to_have_count(0)
    assert page.request.get(src).status == 404


def test_the_upload_works_without_javascript(
    no_js: BrowserContext, server: LiveServer, page: Page
) -> None:
    open_video_page(page, server)  # signed in with scripts on, then the same cookies without
    url = page.url
    no_js.add_cookies(page.context.cookies())  # type: ignore[arg-type]
    plain = no_js.new_page()
    plain.goto(url)
    plain.locator("#video").set_input_files(video_file(make.mp4(3)))
    plain.click("button:has-text('上传视频')")
    expect(plain.locator(".banner[role=status]")).to_contain_text("视频已上传")


def test_the_review_snippet_shows_the_player_or_says_there_is_none() -> None:
    """The piece the issuers' review page includes (that page is built elsewhere)."""
    snippet = environment().get_template("organisations/_temperature_video.html")
    app_id = uuid.uuid4()
    video = VideoSummary(app_id, "video/mp4", 1234, 12.5, live.START)
    shown = snippet.render(application_id=app_id, video=video)
    assert f'src="/api/v1/applications/{app_id}/video"' in shown
    assert "12.5" in shown
    assert "<video" not in snippet.render(application_id=app_id, video=None)
