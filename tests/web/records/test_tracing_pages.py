"""The tracing pages in Chromium: an officer finds a confirmed case by ID number, sees
the venue and the two residents scanned there within the window (not the third),
unticks nobody, creates the records, lands on the batch, and both are red; the batch
rollback turns them green again. The API gives the same list."""

from __future__ import annotations

import uuid
from datetime import timedelta

from playwright.sync_api import Page, expect

from healthcode.domain.records import ImportKind
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWorkFactory
from tests.factories.organisations import organisation
from tests.factories.roster import employer_admin
from tests.factories.scanning import venue
from tests.services.records.helpers import csv_bytes, run_import
from tests.web.live import LiveServer
from tests.web.records.test_import_pages import colour, green_resident, operator
from tests.web.staff_flows import staff_sign_in
from tests.web.test_a11y import check_page


def scanned(
    uow_units: UnitOfWorkFactory, env: Env, venue_id: uuid.UUID, who: uuid.UUID, minutes: int
) -> None:
    with uow_units() as uow:
        at = env.clock.now() - timedelta(hours=3) + timedelta(minutes=minutes)
        uow.add(
            t.Scan(
                venue_id=venue_id, lane="self_check_in", scanned_at=at, recorded_at=at,
                colour="green", policy_id="binzhou-code", resident_id=who, flags=[],
            )
        )  # fmt: skip
        uow.commit()


def test_trace_select_create_and_roll_back(page: Page, server: LiveServer) -> None:
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    case, case_number = green_resident(server)
    near, _ = green_resident(server)
    also, _ = green_resident(server)
    far, _ = green_resident(server)
    with units() as uow:
        community = organisation(uow, env, name="黄河五路社区居民委员会")
        market = venue(
            uow, env, employer_admin(uow, env, community.id), community.id, name="银座超市"
        )
        uow.commit()
    for who, minutes in ((case, 0), (near, 10), (also, -25), (far, 90)):
        scanned(units, env, market.id, who, minutes)
    today = server.clock.now().date().isoformat()
    with units() as uow:
        header = ("source_id", "id_number", "start")
        run_import(uow, env, csv_bytes([header, ("WEB-CASE", case_number, today)]),
                   kind=ImportKind.CONFIRMED, file_name="cases.csv")  # fmt: skip
        uow.commit()
    assert colour(server, case) == "red"

    staff_sign_in(page, operator(server))
    page.goto("/staff/records/tracing")
    expect(page.locator("h1")).to_be_visible()
    check_page(page)
    page.fill("#id_number", case_number)
    page.click("form button.primary")
    expect(page.get_by_role("heading", name="场所与时间窗口")).to_be_visible()
    expect(page.locator("#visits-title + ul li")).to_have_count(1)
    expect(page.locator("#visits-title + ul")).to_contain_text("银座超市")
    expect(page.locator("input[name=contact]")).to_have_count(2)
    check_page(page)
    page.click("form[method=post] button.primary")
    page.wait_for_url("**/staff/records/imports/*")
    check_page(page)
    assert (colour(server, near), colour(server, also), colour(server, far)) == (
        "red",
        "red",
        "green",
    )
    page.click("form[action$='/rollback'] button")
    expect(page.locator("form[action$='/rollback']")).to_have_count(0)
    assert (colour(server, near), colour(server, also)) == ("green", "green")
