"""Another region's code on the guard's scan page (``/staff/venues/{id}/scan``), in
Chromium: a Hubei code read by the keyboard-wedge reader shows its region, the colour
its entry reads and its claims as Hubei sent them; a green one is released with a
temperature; an expired one is refused with that reason, its region still named."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from playwright.sync_api import Page, expect

from healthcode.services.shared.lists import ensure_list_key, federate_region
from tests.domain.tokens import foreign_factory as ff
from tests.web.live import LiveServer
from tests.web.scanning.offline import Checkpoint
from tests.web.staff_flows import staff_sign_in
from tests.web.test_a11y import check_page


def read(gate: Page, checkpoint: Checkpoint, text: str) -> None:
    gate.goto(f"/staff/venues/{checkpoint.venue_id}/scan")
    gate.focus("#token")
    gate.keyboard.insert_text(text)  # a keyboard-wedge reader types the code's text
    gate.press("#token", "Enter")
    gate.wait_for_url("**/scans/*")


def test_a_hubei_code_shows_its_region_colour_and_claims_and_a_green_one_is_released(
    page: Page, server: LiveServer, checkpoint: Checkpoint
) -> None:
    env, now = server.app.state.env, server.clock.now()
    hubei = ff.p256_issuer("420000", "CNHB1:", now - timedelta(days=1))
    with server.app.state.uow_factory() as uow:
        ensure_list_key(uow, env.protector, now=now)
        document = {"region": ff.HUBEI, "keys": [hubei.entry]}
        federate_region(uow, env.protector, env.settings, document=document, now=now)
        uow.commit()
    staff_sign_in(page, checkpoint.username)
    result = page.locator("#result")

    read(page, checkpoint, hubei.sign(ff.foreign_claims(now - timedelta(minutes=5), colour=1)))
    expect(result.locator("h1")).to_have_text("! 禁止通行")
    expect(result.locator(".colour-words")).to_have_text("黄码")
    expect(result.locator("#scan-region")).to_have_text("湖北省的健康码")
    claims = result.locator(".foreign-claims")
    expect(claims.locator("summary")).to_have_text("湖北省发来的码内容（原样）")
    expect(claims.locator("pre")).to_contain_text('"n": "李*"')  # its text, as sent
    expect(claims.locator("pre")).to_contain_text('"-260"')
    expect(page.locator("form.release")).to_have_count(0)
    check_page(page)

    read(page, checkpoint, hubei.sign(ff.foreign_claims(now, colour=0)))
    expect(result.locator("h1")).to_have_text("✓ 外地健康码：测温后放行")
    expect(result.locator(".colour-words")).to_have_text("绿码")
    page.fill("#temperature", "36.6")
    page.click("form.release button")
    expect(result.locator(".released")).to_contain_text("36.6 ℃")
    check_page(page)
    with server.app.state.uow_factory() as uow:
        row = uow.scans.by_id(uuid.UUID(page.url.rsplit("/", 1)[1]))
        assert row is not None
        assert (row.region_code, row.colour, row.released_at is not None) == (
            "420000",
            "green",
            True,
        )

    long = ff.foreign_claims(now, colour=0)
    long[-260][1]["x"] = secrets.token_bytes(1_400)  # 2,400 characters: cut at 2,000, then 400
    read(page, checkpoint, hubei.sign(long))
    expect(result.locator("h1")).to_have_text("✓ 外地健康码：测温后放行")

    read(page, checkpoint, hubei.sign(ff.foreign_claims(now - timedelta(hours=2))))
    expect(result.locator("h1")).to_have_text("✕ 不予通行")
    expect(result.locator(".message")).to_have_text("此码已过期，请对方刷新后重新出示。")
    expect(result.locator("#scan-region")).to_have_text("湖北省的健康码")
    check_page(page)
