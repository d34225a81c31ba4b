"""The gate's pace on a small phone (360 × 740): a keyboard-wedge reader types each
person's code and Enter, one after another. After every result (release, stop, a
refused code, a release with a temperature) the reader's next line goes into the
"next person" field without a tap, and the verdict stays on the screen."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Browser, BrowserContext, Page, expect

from healthcode.domain.tokens import Purpose
from tests.web.conftest import new_context
from tests.web.live import LiveServer
from tests.web.scanning.offline import Checkpoint
from tests.web.scanning.test_operator_camera import residents_code
from tests.web.scanning.test_scanner_page import Codes
from tests.web.staff_flows import staff_sign_in
from tests.web.test_a11y import check_page


def wedge(gate: Page, text: str) -> None:
    """The reader types the line wherever the focus is, then Enter; a new result. The
    "next person" field takes the focus as the page's script runs: the reader's line
    waits for it (typed into the page a moment before, it went nowhere)."""
    expect(gate.locator("#token")).to_be_focused()
    before = gate.url
    gate.keyboard.insert_text(text)
    gate.keyboard.press("Enter")
    gate.wait_for_url(lambda url: url != before and "/scans/" in url)


def gate_page(
    browser: Browser, server: LiveServer, checkpoint: Checkpoint
) -> tuple[BrowserContext, Page]:
    """The guard's scan page on a 360 × 740 phone, signed in."""
    context = new_context(browser, server)
    gate = context.new_page()
    gate.set_viewport_size({"width": 360, "height": 740})
    staff_sign_in(gate, checkpoint.username)
    gate.goto(f"/staff/venues/{checkpoint.venue_id}/scan")
    return context, gate


def verdict_in_view(gate: Page) -> None:
    expect(gate.locator("#result h1")).to_be_in_viewport()
    assert gate.evaluate("window.scrollY") == 0


def test_the_readers_next_line_needs_no_tap_after_any_result(
    browser: Browser, server: LiveServer, checkpoint: Checkpoint
) -> None:
    code = residents_code(browser, server)
    context, gate = gate_page(browser, server, checkpoint)
    expect(gate.locator("#token")).to_be_focused()

    wedge(gate, code)
    expect(gate.locator("#result h1")).to_have_text("✓ 健康检查后放行")
    verdict_in_view(gate)
    expect(gate.locator("#token")).to_be_focused()
    check_page(gate)

    gate.fill("#temperature", "36.6")  # the guard's one tap: the temperature and release
    gate.click("form.release button")
    expect(gate.locator("#result .released")).to_contain_text("36.6 ℃")
    verdict_in_view(gate)
    expect(gate.locator("#token")).to_be_focused()

    wedge(gate, "NOT-A-HEALTH-CODE")  # the next person: no tap between
    expect(gate.locator("#result h1")).to_have_text("✕ 不予通行")
    expect(gate.locator("#result .message")).to_have_text("这不是健康码。")
    verdict_in_view(gate)
    expect(gate.locator("#token")).to_be_focused()

    wedge(gate, code)  # and the next: the same code again, handed back down the queue
    expect(gate.locator("#result h1")).to_have_text("✓ 健康检查后放行")
    flag = gate.locator("#result .flags li")
    expect(flag).to_have_text(re.compile(r"^此码 \d\d:\d\d 已在本点扫过：请核对是否本人。$"))
    expect(flag).to_be_in_viewport()
    expect(gate.locator("form.release button")).to_be_visible()  # the guard decides
    check_page(gate)
    context.close()


def test_a_mistyped_temperature_keeps_the_focus_for_the_correction(
    browser: Browser, server: LiveServer, checkpoint: Checkpoint
) -> None:
    code = residents_code(browser, server)
    context, gate = gate_page(browser, server, checkpoint)
    wedge(gate, code)
    gate.fill("#temperature", "3b.5")
    gate.click("form.release button")
    expect(gate.locator("#temperature-error")).to_be_visible()
    expect(gate.locator("#temperature")).to_be_focused()
    gate.keyboard.press("Control+A")
    gate.keyboard.type("36.5")
    gate.keyboard.press("Enter")
    expect(gate.locator("#result .released")).to_contain_text("36.5 ℃")
    expect(gate.locator("#token")).to_be_focused()
    context.close()


def test_a_refused_screenshot_reads_as_one_not_as_its_colour(
    browser: Browser, server: LiveServer, checkpoint: Checkpoint
) -> None:
    """A guard with two seconds reads the badge under "不予通行": an expired green code
    says it is an expired code (likely a screenshot), its colour in small print."""
    code = residents_code(browser, server)
    server.clock.advance(timedelta(minutes=3))  # the screenshot, three minutes on
    context, gate = gate_page(browser, server, checkpoint)
    wedge(gate, code)
    result = gate.locator("#result")
    expect(result.locator("h1")).to_have_text("✕ 不予通行")
    expect(result.locator(".colour-words")).to_have_text("码已过期（疑似截图）")
    expect(result.locator(".colour-claimed")).to_have_text("码上显示：绿码")
    assert result.locator(".colour-claimed").evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    ) < result.locator(".colour-words").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    check_page(gate)
    gate.click("header .lang-switch a[hreflang=en]")
    expect(result.locator(".colour-words")).to_have_text("Expired code (likely a screenshot)")
    expect(result.locator(".colour-claimed")).to_have_text("The code shows: Green code")
    check_page(gate)
    context.close()


def test_a_green_code_is_released_in_the_words_of_its_policy(
    browser: Browser, server: LiveServer, checkpoint: Checkpoint
) -> None:
    """Seed 000: a green Shandong pass is released directly (放行; the details only as
    local control needs). Seed 003: a green Binzhou code after the health check
    (健康检查后放行). The reading stays optional for both: each is released without one."""
    codes = Codes(server)
    context, gate = gate_page(browser, server, checkpoint)
    headline, action = gate.locator("#result h1"), gate.locator("#result .action")

    wedge(gate, codes.token(Purpose.PAPER, policy="shandong-pass"))
    expect(headline).to_have_text("✓ 放行")
    expect(action).to_have_text("直接放行。根据当地疫情防控需要，可查看其详细信息。")
    check_page(gate)
    gate.click("form.release button")
    expect(gate.locator("#result .released")).to_be_visible()

    wedge(gate, codes.token(Purpose.PAPER))  # binzhou-code
    expect(headline).to_have_text("✓ 健康检查后放行")
    expect(action).to_have_text("进行健康检查后，点击确认放行。")
    gate.click("form.release button")
    expect(gate.locator("#result .released")).to_be_visible()
    context.close()
