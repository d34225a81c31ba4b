"""Screenshots of the staff review pages at a phone's size (and the queue on a desktop).

    .venv/bin/python -m tests.web.organisations.screenshots [OUT_DIR]   # docs/screenshots

The same way as ``tests/web/screenshots.py``: the real app on a temporary database,
Chromium at 390×844 (2× pixels), small palette PNGs named ``review-*``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page

from tests.web import live
from tests.web.conftest import PHONE
from tests.web.organisations.staff import desk, fill_counter, staff_sign_in
from tests.web.screenshots import OUT, main, save


def story(page: Page, server: live.LiveServer, out: Path) -> None:
    here = desk(server, issuers=2, temperatures=(36.5, 37.9, 36.6, 38.4))
    staff_sign_in(page, server, here.issuers[0])
    save(page, out, "review-01-queue")
    page.goto(f"/staff/applications/{here.applications[1]}")
    save(page, out, "review-02-application")
    page.check("input[name=colour][value=yellow]")
    page.check("#need-temperature")
    save(page, out, "review-03-decision", at="#decide-title")
    resident = _resident(server, here.applications[3])
    page.goto(f"/staff/overrides/new?resident={resident}&policy=shandong-pass")
    page.check("input[name=colour][value=green]")
    page.fill("#reason", "视频核实体温36.5℃，申报时误填38.4")
    save(page, out, "review-04-override-propose")
    page.click("form button.primary")
    fill_counter(page)
    save(page, out, "review-06-counter")
    page.click("form button.primary")
    save(page, out, "review-07-counter-signed")
    browser = page.context.browser
    assert browser is not None
    second = browser.new_context(
        base_url=server.url, viewport=PHONE, device_scale_factor=2, locale="zh-CN"
    )
    page = second.new_page()
    staff_sign_in(page, server, here.issuers[1], then="/staff/overrides")
    save(page, out, "review-05-override-approve")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/staff/queue")
    save(page, out, "review-08-queue-desktop")
    second.close()


def _resident(server: live.LiveServer, application: object) -> str:
    with server.app.state.uow_factory() as uow:
        row = uow.declarations.by_id(application)
        return str(row.resident_id)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT, run=(story,))
