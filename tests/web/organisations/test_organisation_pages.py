"""The staff pages in Chromium: a person applies to be an issuer (signed in by SMS),
an administrator of the organisation approves them and an employer, on a phone and
at desktop size; every page passes the accessibility check.

The test's organisations are in Jinan (370102), away from the Binzhou county where
the other browser tests apply for passes (a second community there would make their
residents choose one)."""

from __future__ import annotations

import itertools
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from healthcode.services.accounts.permissions import Role
from healthcode.services.organisations.registry import OrganisationKind, OrganisationStatus
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWorkFactory
from tests.factories.organisations import authorised_issuer, organisation
from tests.web.conftest import new_context, new_phone
from tests.web.flows import carry_session, sign_in
from tests.web.live import LiveServer
from tests.web.test_a11y import check_page

JINAN = "370102"
DESKTOP = {"width": 1280, "height": 800}
SHOTS = Path("docs/screenshots")
_serial = itertools.count(1)


@dataclass
class Place:
    name: str
    credit_code: str
    community: uuid.UUID
    employer: str
    admin_token: str


@pytest.fixture
def place(server: LiveServer) -> Place:
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    n = next(_serial)
    with units() as uow:
        community = organisation(uow, env, region=JINAN, name=f"历下区测试社区{os.getpid()}-{n}")
        employer = organisation(
            uow,
            env,
            region=JINAN,
            kind=OrganisationKind.EMPLOYER,
            name=f"济南示例科技有限公司{n}",
            parent_id=community.id,
            status=OrganisationStatus.PENDING,
        )
        admin = authorised_issuer(uow, env, community.id, role=Role.ORG_ADMIN)
        username = uow.accounts.by_id(admin.account_id).username  # type: ignore[union-attr]
        found = (community.name, community.credit_code, community.id, employer.name)
    login = httpx.post(
        f"{server.url}/api/v1/auth/staff/login",
        json={"username": username, "password": "correct horse battery"},
        timeout=10,
    )
    login.raise_for_status()
    return Place(*found, admin_token=login.json()["token"])


def as_staff(browser: Browser, server: LiveServer, token: str) -> BrowserContext:
    context = new_context(browser, server)
    carry_session(context, server, token)
    return context


def shot(page: Page, name: str) -> None:
    if os.environ.get("HEALTHCODE_SCREENSHOTS") == "1":  # to refresh docs/screenshots
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def apply(page: Page, place: Place, **over: str) -> None:
    values = {
        "credit_code": place.credit_code,
        "organisation_name": place.name,
        "unit": "社区疫情防控办公室",
        "name": "李娜",
        "position": "网格员",
        "phone": "13912340000",
        "region": JINAN,
    } | over
    for field, value in values.items():
        page.fill(f"#{field}", value)
    page.click("form[action='/staff/authorisations/apply'] button.primary")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_apply_then_approved_by_the_organisations_admin(
    browser: Browser, page: Page, server: LiveServer, place: Place, size: str
) -> None:
    if size == "desktop":
        page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    sign_in(page, server, new_phone())
    page.goto("/staff")
    check_page(page)
    page.get_by_role("link", name="申请成为签发人员").click()
    check_page(page)
    apply(page, place, organisation_name="别的社区", region="371602")
    expect(page.locator("#organisation_name-error")).to_contain_text("名称与该统一社会信用代码")
    check_page(page)
    shot(page, f"staff-apply-refused-{size}")
    apply(page, place)
    page.wait_for_url("**/staff/authorisations/mine")
    expect(page.locator("main")).to_contain_text("待审批")
    check_page(page)

    admin_context = as_staff(browser, server, place.admin_token)
    admin = admin_context.new_page()
    if size == "desktop":
        admin.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    admin.goto("/staff")
    expect(admin.get_by_role("link", name="签发人员申请")).to_be_visible()
    check_page(admin)
    admin.goto("/staff/authorisations?status=applied")
    card = admin.locator("li.card", has_text=place.name).filter(has_text="李娜").last
    check_page(admin)
    shot(admin, f"staff-authorisations-{size}")
    card.get_by_role("button", name="批准").click()
    admin.wait_for_url("**/staff/authorisations")
    admin.goto(f"/staff/organisations/{place.community}")
    check_page(admin)
    expect(admin.locator("main")).to_contain_text("李娜")
    admin.get_by_role("button", name=f"批准{place.employer}").click()
    expect(admin.locator("main")).not_to_contain_text(f"批准{place.employer}")
    shot(admin, f"staff-organisation-{size}")
    admin_context.close()

    page.goto("/staff/authorisations/mine")
    expect(page.locator("main")).to_contain_text("在用")
    shot(page, f"staff-mine-{size}")


def test_an_outsider_reads_a_not_found_page(
    browser: Browser, server: LiveServer, place: Place
) -> None:
    """An administrator of another community opens this one's page: not found."""
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    with units() as uow:
        other = organisation(uow, env, region=JINAN)
        admin = authorised_issuer(uow, env, other.id, role=Role.ORG_ADMIN)
        username = uow.accounts.by_id(admin.account_id).username  # type: ignore[union-attr]
    token = httpx.post(
        f"{server.url}/api/v1/auth/staff/login",
        json={"username": username, "password": "correct horse battery"},
        timeout=10,
    ).json()["token"]
    context = as_staff(browser, server, token)
    page = context.new_page()
    response = page.goto(f"/staff/organisations/{place.community}")
    assert response is not None
    assert response.status == 404
    expect(page.locator("main")).not_to_contain_text(place.name)
    context.close()
