"""Issue 11: codes made on the phone from a device-bound attestation, in Chromium.

The page makes a P-256 key, fetches an attestation and shows a new presentation
every 10 s by itself; a screenshot is decoded by zxing-cpp and verified by the
Python verifier, online (POST /api/v1/verify) and offline (the domain verifier).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import BrowserContext, Page, expect

from healthcode.domain.colour import Colour
from healthcode.domain.tokens import (
    DEVICE_PREFIX,
    AttestationClaims,
    Refusal,
    Verification,
    present,
    verify_presentation,
)
from healthcode.domain.tokens.attestation import decode_presentation, encode_presentation
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWorkFactory
from tests.web.conftest import new_phone
from tests.web.flows import NO_WEBCRYPTO, declare_and_confirm, read_qr, sign_in, verify
from tests.web.live import LiveServer

CODE = "/codes/binzhou-code"


def _wait_until(check: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def _device_code(page: Page, server: LiveServer) -> str:
    sign_in(page, server, new_phone())
    declare_and_confirm(page)
    expect(page.locator("[data-device-until]")).to_be_visible()
    return read_qr(page)


def _offline_verify(
    server: LiveServer, text: str, *, after: timedelta = timedelta(0)
) -> Verification:
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    now = env.clock.now()
    with units() as uow:
        trust = env.keys.get(uow, env.protector, now).trust
    return verify_presentation(text, trust=trust, now=now + after)


class TestThePhoneMakesItsCode:
    def test_a_screenshot_verifies_and_is_refused_as_stale_a_minute_later(
        self, page: Page, server: LiveServer
    ) -> None:
        text = _device_code(page, server)
        assert text.startswith(DEVICE_PREFIX)
        result = verify(server, text)
        assert result["valid"] is True, result
        assert result["claims"]["colour"] == "green"
        assert result["claims"]["purpose"] == "device"
        assert result["claims"]["masked_name"] == "张*"
        assert _offline_verify(server, text).ok

        server.clock.advance(timedelta(seconds=60))
        later = verify(server, text)
        assert later["valid"] is False
        assert later["reason"] == "presentation_stale"

    def test_another_key_a_tampered_colour_and_a_lapsed_attestation_are_refused(
        self, page: Page, server: LiveServer
    ) -> None:
        text = _device_code(page, server)
        parts = decode_presentation(text)
        at = parts.at
        thief = ec.generate_private_key(ec.SECP256R1())
        stolen = present(parts.attestation, at, thief)
        assert _offline_verify(server, stolen).reason is Refusal.DEVICE_SIGNATURE_BAD

        tampered = parts.attestation.replace(b"ag", b"ar", 1)  # colour g -> r in the claims
        assert tampered != parts.attestation
        forged = encode_presentation(tampered, at, parts.signature)
        assert _offline_verify(server, forged).reason is Refusal.BAD_SIGNATURE

        result = _offline_verify(server, text, after=timedelta(hours=2))
        assert result.reason is Refusal.ATTESTATION_EXPIRED

    def test_two_codes_an_hour_apart_share_no_identifier(
        self, page: Page, server: LiveServer
    ) -> None:
        first = _device_code(page, server)
        server.clock.advance(timedelta(hours=1, minutes=1))
        page.evaluate("indexedDB.deleteDatabase('hc-device')")
        page.reload()
        expect(page.locator("[data-device-until]")).to_be_visible()
        second = read_qr(page)
        a = _offline_verify(server, first, after=-timedelta(hours=1, minutes=1)).claims
        b = _offline_verify(server, second).claims
        assert isinstance(a, AttestationClaims)
        assert isinstance(b, AttestationClaims)
        for field in ("device_key", "pseudonym", "id_salt", "id_hash"):
            assert getattr(a, field) != getattr(b, field), field
        assert a.masked_id == b.masked_id  # what the guard reads, and nothing else in common

    def test_with_the_network_cut_the_code_keeps_refreshing_and_verifying(
        self, context: BrowserContext, server: LiveServer
    ) -> None:
        page = context.new_page()
        page.clock.install()
        first = _device_code(page, server)
        context.set_offline(True)
        old = page.locator(".qr-box").get_attribute("data-text")
        server.clock.advance(timedelta(minutes=5))
        page.clock.run_for(5 * 60_000)
        _wait_until(lambda: page.locator(".qr-box").get_attribute("data-text") != old)
        later = read_qr(page)
        assert later != first
        assert _offline_verify(server, later).ok
        expect(page.locator(".qr-box")).to_be_visible()

    def test_an_open_code_page_asks_the_server_nothing_while_its_attestation_lasts(
        self, context: BrowserContext, server: LiveServer
    ) -> None:
        """The load a province's peak puts on the server: a code page left open makes
        no request in half an hour (no call polling: nothing awaits an issuer)."""
        page = context.new_page()
        page.clock.install()
        _device_code(page, server)
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url))
        for _ in range(30):
            server.clock.advance(timedelta(minutes=1))
            page.clock.run_for(60_000)
        page.wait_for_timeout(100)
        assert [url for url in asked if "/static/" not in url] == []
        expect(page.locator("#incoming-call")).to_have_count(0)

    def test_offline_the_card_shows_a_live_code_until_the_attestation_ends(
        self, context: BrowserContext, server: LiveServer
    ) -> None:
        page = context.new_page()
        page.clock.install()
        sign_in(page, server, new_phone())
        declare_and_confirm(page)
        page.wait_for_function("() => navigator.serviceWorker.controller")
        page.goto(CODE)  # through the worker: it keeps this page
        expect(page.locator("[data-device-until]")).to_be_visible()
        context.set_offline(True)
        page.reload()  # the saved card, and the attestation kept on the phone

        until = page.locator("[data-device-until]")
        expect(until).to_contain_text("离线可用至")
        expect(page.locator("#offline")).to_be_visible()
        server.clock.advance(timedelta(minutes=30))
        page.clock.run_for(30 * 60_000)
        assert verify(server, read_qr(page))["valid"] is True
        page.clock.run_for(31 * 60_000)  # past the attestation's hour
        expect(page.locator(".qr-box")).to_be_hidden()
        expect(page.locator(".qr-expired")).to_be_visible()
        expect(until).to_be_hidden()

    def test_without_webcrypto_the_page_shows_the_servers_tokens(
        self, context: BrowserContext, server: LiveServer
    ) -> None:
        page = context.new_page()
        page.add_init_script(NO_WEBCRYPTO)
        sign_in(page, server, new_phone())
        declare_and_confirm(page)
        text = read_qr(page)
        assert text.startswith("CNHC1:")
        assert verify(server, text)["valid"] is True
        expect(page.locator("[data-device-until]")).to_have_count(0)

    def test_a_phone_clock_ten_minutes_off_still_works(
        self, context: BrowserContext, server: LiveServer
    ) -> None:
        page = context.new_page()
        page.clock.install(time=time.time() + 600)
        text = _device_code(page, server)
        result = verify(server, text)
        assert result["valid"] is True, result

    def test_a_colour_change_reaches_the_phone_within_seconds(
        self, page: Page, server: LiveServer
    ) -> None:
        phone = new_phone()
        sign_in(page, server, phone)
        declare_and_confirm(page)
        expect(page.locator("[data-device-until]")).to_be_visible()
        _recolour(server, phone, Colour.YELLOW)
        expect(page.locator(".code-card .colour strong")).to_have_text("黄码", timeout=15_000)
        expect(page.locator("[data-device-until]")).to_be_visible()
        result = verify(server, read_qr(page))
        assert result["claims"]["colour"] == "yellow"


def _recolour(server: LiveServer, phone: str, colour: Colour) -> None:
    """A daily report with a fever turns the binzhou code yellow (as on the report page)."""
    from healthcode.services.residents import daily_reports
    from healthcode.services.residents.inputs import DailyReportInput

    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    with units() as uow:
        account = uow.accounts.by_phone_hash(env.protector.keyed_hash(phone, kind="phone"))
        assert account is not None
        state = daily_reports.submit_daily_report(
            uow,
            env,
            resident_id=account.resident_id,
            policy_id="binzhou-code",
            data=DailyReportInput(temperature=38.6),
        )
    assert state.colour is colour, state.colour
