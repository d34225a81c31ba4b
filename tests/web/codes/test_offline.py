"""Issue 9, items 13 and 8: the site is installable, and offline the code page shows
the last code with its time and says so, never an expired token as current.

These run in a browser without WebCrypto, so the page shows the server's display
tokens (the fallback of issue 11); the phone's own codes offline are in
test_device_codes.py."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.web.conftest import new_phone
from tests.web.flows import NO_WEBCRYPTO, declare_and_confirm, sign_in
from tests.web.live import LiveServer

CODE = "/codes/binzhou-code"


def _controlled(page: Page) -> None:
    """Wait until the service worker controls the page (it claims open pages)."""
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller")


def _code_offline(context: BrowserContext, server: LiveServer) -> Page:
    """A resident whose code page was opened once online, now with the network cut."""
    page = context.new_page()
    page.add_init_script(NO_WEBCRYPTO)
    page.clock.install()
    sign_in(page, server, new_phone())
    declare_and_confirm(page)
    _controlled(page)
    page.goto(CODE)  # through the worker: it keeps this page
    expect(page.locator(".qr-box svg")).to_be_visible()
    context.set_offline(True)
    return page


class TestInstallable:
    def test_the_manifest_opens_on_my_codes_with_png_icons(self, server: LiveServer) -> None:
        page = httpx.get(f"{server.url}/login")
        assert '<link rel="manifest" href="/manifest.webmanifest">' in page.text
        manifest = httpx.get(f"{server.url}/manifest.webmanifest").json()
        assert manifest["start_url"] == "/"
        assert manifest["display"] == "standalone"
        for icon in manifest["icons"]:
            png = httpx.get(server.url + icon["src"])
            assert png.headers["content-type"] == "image/png"
            assert png.content.startswith(b"\x89PNG")
        assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}

    def test_the_worker_is_served_from_the_root_and_keeps_no_api_answer(
        self, server: LiveServer
    ) -> None:
        worker = httpx.get(f"{server.url}/sw.js")
        assert worker.headers["content-type"].startswith("text/javascript")
        assert worker.headers["cache-control"] == "no-cache"
        assert "/static/app.js?v=" in worker.text  # the shell, by its current hashed URLs
        assert "/api/" not in worker.text
        assert "worker-src 'self'" in worker.headers["content-security-policy"]

    def test_start_url_shows_my_codes(self, page: Page, server: LiveServer) -> None:
        sign_in(page, server, new_phone())
        page.goto("/")
        expect(page.locator("h1")).to_have_text("我的健康码")


class TestOffline:
    def test_a_reload_offline_shows_the_last_code_with_its_time(
        self, context: BrowserContext, server: LiveServer
    ) -> None:
        page = _code_offline(context, server)
        made = page.locator("[data-qr] .muted").text_content()
        page.reload()  # served by the worker: the network is cut

        expect(page.locator(".code-card .colour strong")).to_have_text("绿码")
        expect(page.locator("#offline")).to_be_visible()
        expect(page.locator("#offline")).to_contain_text("联网后将自动刷新")
        expect(page.locator("[data-qr] .muted")).to_have_text(made or "")
        expect(page.locator(".qr-box svg")).to_be_visible()  # still within its minute

    def test_an_expired_token_is_never_shown_as_current(
        self, context: BrowserContext, server: LiveServer
    ) -> None:
        page = _code_offline(context, server)
        page.reload()
        page.clock.run_for(16_000)  # tokens live 15 s here

        expect(page.locator(".qr-box")).to_be_hidden()
        expect(page.locator(".qr-expired")).to_be_visible()
        expect(page.locator(".qr-expired")).to_contain_text("已过期")
        expect(page.locator("#offline")).to_be_visible()

    def test_the_stale_live_qr_says_it_will_refresh_when_back_online(
        self, context: BrowserContext, server: LiveServer
    ) -> None:
        page = _code_offline(context, server)  # no reload: the live page loses the network
        page.clock.run_for(16_000)

        expect(page.locator("#offline")).to_be_visible()
        expect(page.locator(".qr-expired")).to_be_visible()
        context.set_offline(False)
        page.clock.run_for(6_000)  # the retry, or the browser's "online" event
        expect(page.locator(".qr-box svg")).to_be_visible()
        expect(page.locator("#offline")).to_be_hidden()

    def test_signing_out_forgets_the_saved_code(
        self, context: BrowserContext, server: LiveServer
    ) -> None:
        page = _code_offline(context, server)
        context.set_offline(False)
        page.goto("/")
        page.click("footer form button")
        page.wait_for_url("**/login**")
        context.set_offline(True)
        with pytest.raises(PlaywrightError):  # nothing kept: the browser's own error
            page.goto(CODE)
        expect(page.locator(".qr-box")).to_have_count(0)
