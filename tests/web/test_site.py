"""Site-wide: the language switch, page weight on 3G, help, CSRF, static files, /docs."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, expect

from healthcode.web.static_files import static_url
from tests.web.conftest import new_context, new_phone
from tests.web.flows import sign_in
from tests.web.live import LiveServer
from tests.web.test_a11y import check_page

FIRST_PAGE_BUDGET = 100 * 1024
# Chrome DevTools' "Slow 3G": 400 kbit/s down, 400 ms round trip.
SLOW_3G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 50_000,
    "uploadThroughput": 50_000,
}


class TestLanguage:
    def test_the_switch_sets_the_cookie_and_stays_on_the_page(
        self, page: Page, server: LiveServer
    ) -> None:
        page.goto("/help?q=怎么转绿")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(page.locator("h1")).to_have_text("帮助")

        page.click("a[hreflang=en]")
        page.wait_for_url("**/help?q=*")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("h1")).to_have_text("Help")
        expect(page.locator("#answer h2")).to_contain_text("turn green")
        cookies = {c["name"]: c["value"] for c in page.context.cookies()}
        assert cookies["lang"] == "en"

        page.goto("/login")  # the choice sticks
        expect(page.locator("h1")).to_have_text("Sign in with your mobile number")
        page.click("a[hreflang=zh-CN]")
        expect(page.locator("h1")).to_have_text("手机号登录")

    def test_the_code_page_speaks_english(self, page: Page, server: LiveServer) -> None:
        sign_in(page, server, new_phone())
        page.goto("/lang/en?next=/")
        expect(page.locator("h1")).to_have_text("My codes")
        expect(page.locator("main")).to_contain_text("Apply for a health code")


class TestFirstPage:
    def test_under_100_kb_on_slow_3g(self, browser: Browser, server: LiveServer) -> None:
        context = new_context(browser, server)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        sizes: dict[str, int] = {}
        cdp.on(
            "Network.loadingFinished",
            lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
        )
        started = time.monotonic()
        page.goto("/", wait_until="load")
        seconds = time.monotonic() - started
        page.wait_for_timeout(200)
        context.close()

        total = sum(sizes.values())
        print(f"first page: {len(sizes)} requests, {total} bytes, {seconds:.1f} s on slow 3G")
        assert 0 < total < FIRST_PAGE_BUDGET


class TestHelp:
    def test_the_question_box_answers_from_the_faq(self, page: Page) -> None:
        page.goto("/help")
        page.fill("#q", "黄码怎么变绿码")
        page.click("form[role=search] button")
        expect(page.locator("#answer h2")).to_have_text("黄码怎么转绿码？")
        expect(page.locator("#answer")).not_to_contain_text("12345")

    def test_an_off_topic_question_gets_the_hotline(self, page: Page) -> None:
        page.goto("/help")
        page.fill("#q", "今天天气怎么样")
        page.click("form[role=search] button")
        expect(page.locator("#answer")).to_contain_text("12345")
        expect(page.locator("#answer a[href='tel:12345']")).to_be_visible()


def _csrf(client: httpx.Client) -> str:
    page = client.get("/login", headers={"accept": "text/html"})
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def test_an_empty_phone_is_asked_for_beside_the_field(server: LiveServer) -> None:
    """The button tapped with the field empty gave a bare error page ("此项为必填",
    invalid_input 422) without the form."""
    with httpx.Client(base_url=server.url) as client:
        token = _csrf(client)
        page = client.post(
            "/login/code", data={"csrf_token": token}, headers={"accept": "text/html"}
        )
        assert page.status_code == 422
        assert 'id="phone-error"' in page.text
        assert 'name="phone"' in page.text


class TestErrorPages:
    def test_a_missing_page_says_so_in_words_not_codes(self, page: Page) -> None:
        """It showed 错误代码：not_found（404） to residents."""
        answer = page.goto("/no-such-page")
        assert answer is not None
        assert answer.status == 404
        main = page.locator("main")
        expect(page.locator("h1")).to_have_text("页面不存在")
        expect(main).to_contain_text("链接可能已过期")
        expect(main).not_to_contain_text("not_found")
        expect(main.locator("small")).to_have_text("HTTP 404")  # kept, discreetly
        # a tool tells one refusal from another by it (the surge test, support)
        expect(main.locator("[role=alert]")).to_have_attribute("data-error-code", "not_found")
        check_page(page)
        page.goto("/no-such-page?lang=en")
        expect(main).to_contain_text("The link may be out of date")
        expect(main).not_to_contain_text("not_found")


class TestCsrf:
    def test_a_post_without_the_token_gets_a_403_page(self, server: LiveServer) -> None:
        with httpx.Client(base_url=server.url) as client:
            token = _csrf(client)
            html = {"accept": "text/html"}
            refused = client.post("/login/code", data={"phone": new_phone()}, headers=html)
            assert refused.status_code == 403
            assert "页面已过期" in refused.text
            forged = client.post("/login/code", data={"phone": new_phone(), "csrf_token": "x" * 43})
            assert forged.status_code == 403
            fine = client.post("/login/code", data={"phone": new_phone(), "csrf_token": token})
            assert fine.status_code == 200
            by_header = client.post("/logout", headers={"x-csrf-token": token})
            assert by_header.status_code == 303

    def test_a_staff_pages_error_leads_back_to_the_staff_pages(self, server: LiveServer) -> None:
        """It offered "back to my codes", the resident's sign-in, to an officer."""
        with httpx.Client(base_url=server.url) as client:
            token = _csrf(client)
            html = {"accept": "text/html"}
            refused = client.post("/staff/login", data={"csrf_token": "x" * 43}, headers=html)
            assert refused.status_code == 403
            assert 'href="/staff"' in refused.text
            assert 'href="/"' not in refused.text.split("<main", 1)[1]
            resident = client.post("/login/code", data={"csrf_token": token[::-1]}, headers=html)
            assert 'href="/"' in resident.text.split("<main", 1)[1]

    def test_a_post_from_a_browser_without_the_cookie_is_refused(self, server: LiveServer) -> None:
        with httpx.Client(base_url=server.url) as client:
            token = _csrf(client)
        with httpx.Client(base_url=server.url) as stranger:
            answer = stranger.post("/logout", data={"csrf_token": token})
            assert answer.status_code == 403

    def test_the_cookie_is_http_only_and_same_site(self, server: LiveServer) -> None:
        answer = httpx.get(f"{server.url}/login")
        cookie = answer.headers["set-cookie"]
        assert "hc_csrf=" in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie


class TestStatic:
    def test_hashed_urls_are_immutable_and_compressed(self, server: LiveServer) -> None:
        answer = httpx.get(server.url + static_url("app.css"), headers={"accept-encoding": "gzip"})
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert answer.headers["content-encoding"] == "gzip"
        assert "set-cookie" not in answer.headers
        stale = httpx.get(f"{server.url}/static/app.css?v=0ld")
        assert stale.headers["cache-control"] == "public, max-age=300"

    def test_pages_carry_strict_security_headers(self, server: LiveServer) -> None:
        headers = httpx.get(f"{server.url}/login").headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert headers["x-frame-options"] == "DENY"


class TestDocs:
    def test_swagger_ui_works_offline(self, page: Page, server: LiveServer) -> None:
        seen: list[str] = []
        problems: list[Any] = []
        page.on("request", lambda r: seen.append(r.url))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto("/docs")
        # the page builds itself from /openapi.json, which the server makes on first
        # asking: over 5 s on a slow machine busy with the suite's other worker
        title = page.locator(".swagger-ui .info .title")
        expect(title).to_contain_text("Health code platform", timeout=30_000)
        page.locator(".opblock-summary").first.click()  # expand one: more of the UI runs
        expect(page.locator(".opblock-body").first).to_be_visible()
        page.locator(".try-out__btn").first.click()
        expect(page.locator(".execute").first).to_be_visible()
        assert all(url.startswith(server.url) or url.startswith("data:") for url in seen), seen
        assert problems == []
