"""A form sent twice (a double tap, a retry after a lost reply) writes once: each
form carries an idempotency key, and the second post gets the first one's answer."""

from __future__ import annotations

from playwright.sync_api import APIResponse, Page, Request
from sqlalchemy import func, select

from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWorkFactory
from tests.web.conftest import new_phone
from tests.web.flows import declare_and_confirm, sign_in
from tests.web.live import LiveServer


def reports(server: LiveServer) -> int:
    units: UnitOfWorkFactory = server.app.state.uow_factory
    with units() as uow:
        return uow.session.scalar(select(func.count()).select_from(t.DailyReport)) or 0


def post_again(page: Page, sent: Request) -> APIResponse:
    """The same form post again, from the same browser (its cookies)."""
    return page.context.request.post(
        sent.url,
        headers={"Content-Type": sent.headers["content-type"]},
        data=sent.post_data_buffer,
        max_redirects=0,
    )


def test_a_resubmitted_report_makes_one_report(page: Page, server: LiveServer) -> None:
    sign_in(page, server, new_phone())
    declare_and_confirm(page)
    page.goto("/codes/binzhou-code/report")
    page.click(".chip:has-text('36.7')")
    with page.expect_request(lambda r: r.method == "POST") as posted:
        page.click("button[value=submit]")
    page.wait_for_url("**/codes/binzhou-code?reported=1")
    before = reports(server)
    again = post_again(page, posted.value)
    assert again.status == 303
    assert again.headers["location"] == "/codes/binzhou-code?reported=1"
    assert again.headers["idempotent-replayed"] == "true"
    assert reports(server) == before


def test_each_showing_of_the_form_is_a_new_report(page: Page, server: LiveServer) -> None:
    sign_in(page, server, new_phone())
    declare_and_confirm(page)
    before = reports(server)
    for _ in range(2):
        page.goto("/codes/binzhou-code/report")
        page.click(".chip:has-text('36.7')")
        page.click("button[value=submit]")
        page.wait_for_url("**/codes/binzhou-code?reported=1")
    assert reports(server) == before + 2
