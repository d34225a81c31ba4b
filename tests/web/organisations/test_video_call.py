"""Video verification (视频通话) in two real browsers: the issuer calls, the applicant
answers, both see each other (fake camera), the issuer records the temperature read
on camera and hangs up; only the call's life and the reading are kept."""

from __future__ import annotations

import itertools
from datetime import timedelta

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import inspect, select

from healthcode.store import tables as t
from tests.web.conftest import new_context
from tests.web.live import LiveServer
from tests.web.organisations.calls import apply_for_pass, issuer_of, signed_in_as
from tests.web.test_a11y import check_page

CONNECTED = """() => {
  const call = document.getElementById('call');
  const video = document.getElementById('remote-video');
  return call.dataset.connection === 'connected' && video.videoWidth > 0;
}"""


POLL = 15_000  # ms: the pages ask every 4 s; a loaded machine answers slowly


def connected(page: Page) -> None:
    page.wait_for_function(CONNECTED, timeout=20_000)


class TestVideoCall:
    def test_issuer_calls_applicant_answers_reading_recorded_and_hung_up(
        self, media_browser: Browser, server: LiveServer
    ) -> None:
        resident_context = new_context(media_browser, server)
        applicant = apply_for_pass(resident_context.new_page(), server)
        issuer = issuer_of(server, applicant.application_id)
        issuer_context = signed_in_as(media_browser, server, issuer)
        desk = issuer_context.new_page()
        problems: list[str] = []
        for page in (desk, applicant.page):
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        call_url = f"/staff/applications/{applicant.application_id}/call"
        desk.goto(call_url)
        check_page(desk)
        desk.click("#start-call")
        expect(desk.locator("#call")).to_have_attribute("data-status", "ringing")
        expect(desk.locator("#call-status")).to_contain_text("2 分钟")

        phone = applicant.page
        phone.goto("/")
        banner = phone.locator("#incoming-call")
        expect(banner).to_contain_text("正在呼叫您", timeout=POLL)
        check_page(phone)
        banner.get_by_role("link", name="接听").click()
        phone.wait_for_url("**/calls/*")
        check_page(phone)
        phone.click("#accept-call")
        connected(phone)
        connected(desk)
        expect(desk.locator("#call-status")).to_contain_text("已接通")
        check_page(desk)
        check_page(phone)

        desk.fill("#temperature", "36.6")
        desk.click("#reading-form button[type=submit]")
        expect(desk.locator("#reading-saved")).to_contain_text("36.6")
        expect(phone.locator("#reading-told")).to_contain_text("36.6")
        desk.click("#hang-up")
        expect(desk.locator("#call-status")).to_contain_text("通话已结束")
        expect(phone.locator("#call-status")).to_contain_text("对方已挂断")
        expect(phone.locator("#call-stage")).to_be_hidden()

        desk.goto(call_url)
        expect(desk.locator("#today-reading")).to_contain_text("36.6")
        expect(desk.locator(".call-history")).to_contain_text("签发人挂断")
        expect(desk.locator("#start-call")).to_be_visible()  # a new call may be made
        check_page(desk)
        units = server.app.state.uow_factory
        with units() as uow:
            call = uow.session.scalars(
                select(t.VideoCall).where(t.VideoCall.application_id == applicant.application_id)
            ).one()
            assert call.status == "ended"
            assert call.end_reason == "hang_up"
            assert call.ended_by == issuer.account_id
            assert call.answered_at is not None
            assert call.ended_at is not None
            assert call.temperature == 36.6
            actions = uow.session.scalars(
                select(t.AuditEvent.action).where(t.AuditEvent.resident_id == call.resident_id)
            ).all()
            assert {"call.started", "call.answered", "call.reading", "call.ended"} <= set(actions)
        # the call's life and the reading; no media, no recording
        columns = {c.key for c in inspect(t.VideoCall).columns}
        assert columns == {
            "id", "application_id", "resident_id", "organisation_id", "issuer_id", "status",
            "offered_at", "expires_at", "answered_at", "ended_at", "ended_by", "end_reason",
            "temperature", "reading_at", "reading_by",
        }  # fmt: skip
        assert problems == []
        issuer_context.close()
        resident_context.close()

    def test_an_unanswered_call_stops_ringing_after_two_minutes(
        self, media_browser: Browser, server: LiveServer
    ) -> None:
        resident_context = new_context(media_browser, server)
        applicant = apply_for_pass(resident_context.new_page(), server)
        issuer_context = signed_in_as(
            media_browser, server, issuer_of(server, applicant.application_id)
        )
        desk = issuer_context.new_page()
        desk.goto(f"/staff/applications/{applicant.application_id}/call")
        desk.click("#start-call")
        phone = applicant.page
        phone.goto("/codes/shandong-pass")
        expect(phone.locator("#incoming-call")).to_contain_text("正在呼叫您", timeout=POLL)
        server.clock.advance(timedelta(minutes=2, seconds=1))
        expect(phone.locator("#incoming-call")).to_be_empty(timeout=POLL)
        phone.goto(phone.url.replace("/codes/shandong-pass", "/"))
        desk.goto(f"/staff/applications/{applicant.application_id}/call")
        expect(desk.locator(".call-history")).to_contain_text("未接听")
        expect(desk.locator("#start-call")).to_be_visible()
        issuer_context.close()
        resident_context.close()

    def test_the_applicant_may_decline(self, media_browser: Browser, server: LiveServer) -> None:
        resident_context = new_context(media_browser, server)
        applicant = apply_for_pass(resident_context.new_page(), server)
        issuer_context = signed_in_as(
            media_browser, server, issuer_of(server, applicant.application_id)
        )
        desk = issuer_context.new_page()
        desk.goto(f"/staff/applications/{applicant.application_id}/call")
        desk.click("#start-call")
        expect(desk.locator("#call")).to_have_attribute("data-status", "ringing")
        phone = applicant.page
        phone.goto("/")
        phone.locator("#incoming-call").get_by_role("link").click(timeout=POLL)
        phone.click("#decline-call")
        expect(phone.locator(".banner")).to_contain_text("您已拒绝")
        expect(desk.locator("#call-status")).to_contain_text("对方已挂断")
        issuer_context.close()
        resident_context.close()


class TestPages:
    def test_call_pages_pass_the_accessibility_checks_at_phone_and_desktop_size(
        self, media_browser: Browser, server: LiveServer
    ) -> None:
        resident_context = new_context(media_browser, server)
        applicant = apply_for_pass(resident_context.new_page(), server)
        issuer_context = signed_in_as(
            media_browser, server, issuer_of(server, applicant.application_id)
        )
        desk = issuer_context.new_page()
        call_url = f"/staff/applications/{applicant.application_id}/call"
        phone = applicant.page
        for width in (390, 1280):
            size = {"width": width, "height": 844}
            desk.set_viewport_size(size)  # type: ignore[arg-type]
            phone.set_viewport_size(size)  # type: ignore[arg-type]
            desk.goto(call_url)
            check_page(desk)
            if width == 390:
                desk.click("#start-call")
            expect(desk.locator("#call")).to_have_attribute("data-status", "ringing")
            check_page(desk)
            phone.goto("/")
            phone.locator("#incoming-call").get_by_role("link").click(timeout=POLL)
            expect(phone.locator("#accept-call")).to_be_visible()
            check_page(phone)
        phone.click("#decline-call")
        check_page(phone)
        desk.goto(call_url)
        check_page(desk)
        issuer_context.close()
        resident_context.close()

    def test_a_browser_without_webrtc_says_so(
        self, media_browser: Browser, server: LiveServer
    ) -> None:
        resident_context = new_context(media_browser, server)
        applicant = apply_for_pass(resident_context.new_page(), server)
        issuer_context = signed_in_as(
            media_browser, server, issuer_of(server, applicant.application_id)
        )
        issuer_context.add_init_script("delete window.RTCPeerConnection;")
        desk = issuer_context.new_page()
        desk.goto(f"/staff/applications/{applicant.application_id}/call")
        desk.click("#start-call")
        expect(desk.locator("#call-status")).to_contain_text("无法进行视频通话")
        expect(desk.locator("#call")).to_have_attribute("data-connection", "unsupported")
        issuer_context.close()
        resident_context.close()

    def test_without_a_camera_the_applicant_is_told_what_to_do(
        self, browser: Browser, media_browser: Browser, server: LiveServer
    ) -> None:
        resident_context = new_context(browser, server)  # no fake camera: none at all
        applicant = apply_for_pass(resident_context.new_page(), server)
        issuer_context = signed_in_as(
            media_browser, server, issuer_of(server, applicant.application_id)
        )
        desk = issuer_context.new_page()
        desk.goto(f"/staff/applications/{applicant.application_id}/call")
        desk.click("#start-call")
        phone = applicant.page
        phone.goto("/")
        phone.locator("#incoming-call").get_by_role("link").click(timeout=POLL)
        phone.click("#accept-call")
        expect(phone.locator("#call-status")).to_contain_text("无法使用摄像头")
        issuer_context.close()
        resident_context.close()


RECORD_POLLS = """() => {
  window.polls = [];
  const fetched = window.fetch;
  window.fetch = (url, options) => {
    if (String(url).includes("/calls/incoming")) window.polls.push(Date.now());
    return fetched(url, options);
  };
}"""
HIDE = """hidden => {
  Object.defineProperty(document, "hidden", { value: hidden, configurable: true });
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def run_for(page: Page, seconds: int) -> None:
    """Page time forward a second at a time, each poll's answer let in between."""
    for _ in range(seconds):
        page.clock.run_for(1000)
        page.wait_for_timeout(15)


class TestPolling:
    def test_the_page_asks_ever_more_slowly_and_not_at_all_when_hidden(
        self, page: Page, server: LiveServer
    ) -> None:
        """A start page left open asked /calls/incoming every 4 s for as long as the
        pass waited: 900 requests an hour per phone, for a call that rings 2 minutes."""
        apply_for_pass(page, server)
        page.clock.install()
        page.add_init_script(script=f"({RECORD_POLLS})()")
        page.route(
            "**/calls/incoming",
            lambda route: route.fulfill(json={"call": None}),
        )
        page.goto("/")
        run_for(page, 300)
        polls: list[float] = page.evaluate("window.polls")
        gaps = [(b - a) / 1000 for a, b in itertools.pairwise(polls)]
        assert 3 <= gaps[0] <= 6, gaps  # at first, quickly
        assert all(b >= a - 1 for a, b in itertools.pairwise(gaps)), gaps
        assert 25 <= max(gaps) <= 32, gaps  # then every 30 s at most
        assert len(polls) <= 16, len(polls)  # it was 75 in these 5 minutes
        page.evaluate(HIDE, True)
        before = len(page.evaluate("window.polls"))
        run_for(page, 120)
        assert len(page.evaluate("window.polls")) == before  # a phone in a pocket
        page.evaluate(HIDE, False)
        run_for(page, 5)
        assert len(page.evaluate("window.polls")) == before + 2  # at once, then after 4 s
