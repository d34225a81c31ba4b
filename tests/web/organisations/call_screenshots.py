"""Screenshots of a connected video call, both sides, at a phone's size.

    .venv/bin/python -m tests.web.organisations.call_screenshots [OUT_DIR]

Runs the real app on a temporary database with Chromium's fake camera (a test
pattern), as the browser tests do, and saves palette PNGs (see tests/web/screenshots).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.web import live
from tests.web.conftest import ARGS, CHROMIUM, new_context
from tests.web.organisations.calls import MEDIA_ARGS, apply_for_pass, issuer_of, signed_in_as
from tests.web.organisations.test_video_call import connected
from tests.web.screenshots import OUT, save


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as directory, sync_playwright() as playwright:
        server = live.start(Path(directory))
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS + MEDIA_ARGS)
        try:
            resident = new_context(browser, server, device_scale_factor=2)
            applicant = apply_for_pass(resident.new_page(), server, name="张三")
            desk = signed_in_as(
                browser, server, issuer_of(server, applicant.application_id), device_scale_factor=2
            )
            issuer = desk.new_page()
            issuer.goto(f"/staff/applications/{applicant.application_id}/call")
            issuer.click("#start-call")
            phone = applicant.page
            phone.goto("/")
            phone.wait_for_selector("#incoming-call a")
            save(phone, out, "call-01-incoming")
            phone.click("#incoming-call a")
            phone.click("#accept-call")
            connected(phone)
            connected(issuer)
            issuer.fill("#temperature", "36.6")
            issuer.click("#reading-form button[type=submit]")
            phone.wait_for_selector("#reading-told:has-text('36.6')")
            phone.wait_for_timeout(500)  # a few frames of the test pattern
            save(phone, out, "call-02-resident-connected", at="#call")
            save(issuer, out, "call-03-issuer-connected", at="#call")
            save(issuer, out, "call-04-issuer-reading", at="#reading-form")
        finally:
            browser.close()
            server.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
