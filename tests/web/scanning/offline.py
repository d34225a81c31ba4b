"""The offline scanner page (/staff/scanner) for the tests: a checkpoint with its
guard, opening the page so the worker keeps it, scanning a text, and reading the
page's queue and the server's records."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from playwright.sync_api import BrowserContext, Page, expect

from tests.factories.organisations import organisation
from tests.factories.roster import employer_admin
from tests.factories.scanning import operator, venue
from tests.web.live import LiveServer
from tests.web.staff_flows import staff_sign_in


@dataclass(frozen=True)
class Checkpoint:
    username: str
    venue_id: uuid.UUID

    @property
    def url(self) -> str:
        return f"/staff/scanner?venue={self.venue_id}"


def new_checkpoint(server: LiveServer) -> Checkpoint:
    """A checkpoint registered by a community, with a guard operating it."""
    env = server.app.state.env
    with server.app.state.uow_factory() as uow:
        community = organisation(uow, env)
        admin = employer_admin(uow, env, community.id)
        gate = venue(uow, env, admin, community.id, name="滨州西收费站卡口")
        guard = operator(uow, env, admin, gate.id)
        uow.commit()
        account = uow.accounts.by_id(guard.account_id)
        assert account is not None
        assert account.username is not None
        return Checkpoint(account.username, gate.id)


def open_scanner(context: BrowserContext, server: LiveServer, at: Checkpoint) -> Page:
    """The scanner opened online, kept by the worker (page and modules) with its lists."""
    page = context.new_page()
    page.clock.set_fixed_time(server.clock.now())  # the scanner's clock is the server's
    staff_sign_in(page, at.username)
    page.goto(at.url)
    page.wait_for_function(  # the worker is active (the page may not be claimed yet)
        """async () => { const r = await navigator.serviceWorker.getRegistration();
                         return !!(r && r.active && r.active.state === "activated"); }""",
        timeout=30_000,
    )
    page.goto(at.url)  # through the worker: it keeps the page and the scanner's modules
    page.wait_for_function("() => !!navigator.serviceWorker.controller")
    expect(page.locator("[data-scanner][data-ready=true]")).to_be_attached()
    page.wait_for_function(
        """async () => (await (await caches.open("hc-scanner-shell-v1")).keys()).length > 30
             && (await (await caches.open("hc-scanner-page-v1")).keys()).length === 1""",
        timeout=30_000,  # some forty modules, on a busy machine
    )
    return page


def scan(page: Page, text: str) -> None:
    """A keyboard-wedge reader's line (or pasted text) in the scan field."""
    page.fill("#scan-text", text)
    page.press("#scan-text", "Enter")
    expect(page.locator("#scan-text")).to_have_value("")


def recorded(server: LiveServer, at: Checkpoint) -> dict[str, str | None]:
    """The venue's scan records: client_id → the server's verdict (None: valid)."""
    with server.app.state.uow_factory() as uow:
        rows = uow.scans.of_venue(at.venue_id, limit=50)
        return {row.client_id or "": row.verdict for row in rows}


QUEUE = """async () => {
  const lists = await import("/static/scanner/lists.js");
  const db = await lists.openDb();
  const all = await lists.dbDo(db, "queue", "readonly", (s) => s.getAll());
  db.close();
  return all;
}"""

REQUEUE_AND_UPLOAD = """async (records) => {
  const lists = await import("/static/scanner/lists.js");
  const db = await lists.openDb();
  for (const r of records) { await lists.dbDo(db, "queue", "readwrite", (s) => s.put(r)); }
  db.close();
  const scanner = await import("/static/scanner/scanner.js");
  return scanner.uploadQueue();
}"""
