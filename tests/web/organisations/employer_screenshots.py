"""Screenshots of the employers' pages: the staff board (phone and desktop), the
entrance's check-in list and a resident's check-in on the start page.

    .venv/bin/python -m tests.web.organisations.employer_screenshots [OUT_DIR]

The same way as ``tests/web/screenshots.py``: the real app on a temporary database,
Chromium at 390×844 (2× pixels), small palette PNGs named ``employers-*``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page

from healthcode.services.organisations.roster import enrol
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWorkFactory
from tests.factories.roster import staff_id
from tests.services.conftest import declare, new_account
from tests.web import live
from tests.web.flows import declare_and_confirm, sign_in
from tests.web.screenshots import OUT, main, save
from tests.web.staff_flows import add_employer, staff_sign_in

STAFF = (
    ("王强", "生产部", None),
    ("韩磊", "仓储部", "close_contact"),
    ("何芳", "质检部", "respiratory"),
    ("陈静", "生产部", ""),
    ("罗斌", "销售部", ""),
)


def story(page: Page, server: live.LiveServer, out: Path) -> None:
    company = add_employer(server)
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    mine = staff_id()
    with units() as uow:
        enrol(
            uow, env, organisation_id=company.id, name="郑浩", id_number=mine, department="生产部"
        )
        for n, (name, department, condition) in enumerate(STAFF):
            number = staff_id()
            enrol(
                uow,
                env,
                organisation_id=company.id,
                name=name,
                id_number=number,
                department=department,
            )
            if condition is None:
                continue
            account = new_account(uow, env, f"1380000{n:04d}")
            fields: dict[str, object] = {"name": name, "id_number": number}
            if condition == "close_contact":
                fields["exposures"] = [{"kind": "close_contact"}]
            elif condition:
                fields["symptoms"] = [condition]
            declare(uow, env, account, "binzhou-code", **fields)
    staff_sign_in(page, company.admin)
    page.goto(f"/staff/employers/{company.id}/checkins")
    rows = page.locator("input[name^='t-']")
    for i, reading in enumerate(("36.4", "36.6", "", "38.1", "36.5")):
        if reading:
            rows.nth(i).fill(reading)
    save(page, out, "employers-02-entrance")
    page.click("form.checkin-list button.primary")
    page.goto(f"/staff/employers/{company.id}/board")
    save(page, out, "employers-01-board")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.reload()
    save(page, out, "employers-03-board-desktop")
    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, server, "13900000099")
    declare_and_confirm(page, name="郑浩", id_number=mine)
    page.goto("/")
    save(page, out, "employers-04-checkin", at="#checkin")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT, run=(story,))
