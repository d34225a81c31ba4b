"""Issue 10's "done when", in the browser from start to end (seed 000 §二–三):

a region's administrator registers a community; a community worker signed in by SMS
applies to be its issuer and is approved on the approvals page; a resident applies for
a pass; the issuer sees only their own community's queue, verifies the applicant by
video (fake camera), records the reading, signs green, and the resident's code turns
green — while an issuer of another community sees none of it.

The county (370104, 槐荫区) is this test's own: no other browser test registers a
community there, so the resident's application goes to the one registered here.
"""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, expect

from healthcode.services.accounts.login import create_staff
from healthcode.services.accounts.permissions import Role
from healthcode.services.codes import health_codes as codes
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWorkFactory
from tests.factories.identity import make_uscc
from tests.web.conftest import new_context, new_phone
from tests.web.flows import declare_and_confirm, sign_in
from tests.web.live import LiveServer
from tests.web.organisations.staff import PASSWORD, desk, staff_sign_in
from tests.web.organisations.test_organisation_pages import as_staff
from tests.web.organisations.test_video_call import connected

COUNTY = "370104"
COMMUNITY = "槐荫区示范社区居民委员会"


def _region_admin(server: LiveServer) -> str:
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    with units() as uow:
        create_staff(
            uow,
            env,
            username="admin.jinan",
            password=PASSWORD,
            display_name="济南市指挥部",
            roles=[(Role.ADMIN, "region:370100")],
        )
    login = httpx.post(
        f"{server.url}/api/v1/auth/staff/login",
        json={"username": "admin.jinan", "password": PASSWORD},
        timeout=10,
    )
    login.raise_for_status()
    token: str = login.json()["token"]
    return token


def test_a_community_an_issuer_a_video_call_and_a_green_pass(
    media_browser: Browser, server: LiveServer
) -> None:
    # 1. the region's administrator registers the community
    admin_token = _region_admin(server)
    credit_code = make_uscc(authority="5", kind="9", region=COUNTY, org_body="HY000001")
    registered = httpx.post(
        f"{server.url}/api/v1/organisations",
        headers={"Authorization": f"Bearer {admin_token}"},
        json={
            "kind": "community",
            "credit_code": credit_code,
            "name": COMMUNITY,
            "responsible_person": "王秀兰",
            "region": COUNTY,
            "address": "槐荫区经七路 1 号",
            "contact_phone": "13912345678",
        },
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    assert registered.json()["status"] == "active"

    # 2. a community worker applies to be its issuer; the administrator approves
    worker = new_context(media_browser, server)
    desk_page = worker.new_page()
    sign_in(desk_page, server, new_phone())
    desk_page.goto("/staff/authorisations/apply")
    fields = {
        "credit_code": credit_code,
        "organisation_name": COMMUNITY,
        "unit": "社区疫情防控办公室",
        "name": "李娜",
        "position": "网格员",
        "phone": "13912340001",
        "region": COUNTY,
    }
    for field, value in fields.items():
        desk_page.fill(f"#{field}", value)
    desk_page.click("form[action='/staff/authorisations/apply'] button.primary")
    desk_page.wait_for_url("**/staff/authorisations/mine")
    expect(desk_page.locator("main")).to_contain_text("待审批")
    desk_page.goto("/staff/queue")  # not an issuer yet
    expect(desk_page.locator("main")).not_to_contain_text("槐荫")

    admin = as_staff(media_browser, server, admin_token).new_page()
    admin.goto("/staff/authorisations?status=applied")
    card = admin.locator("li.card", has_text=COMMUNITY).filter(has_text="李娜")
    card.get_by_role("button", name="批准").click()
    admin.wait_for_url("**/staff/authorisations")
    desk_page.goto("/staff/authorisations/mine")
    expect(desk_page.locator("main")).to_contain_text("在用")

    # 3. a resident of the county applies for a pass: it goes to the community
    resident = new_context(media_browser, server).new_page()
    phone = new_phone()
    sign_in(resident, server, phone)
    community = registered.json()["id"]
    declare_and_confirm(
        resident, "shandong-pass", name="赵六", region=COUNTY, organisation_id=community
    )
    expect(resident.locator("main")).to_contain_text("待签发")

    # 4. the issuer sees their community's queue, and only it
    other = desk(server, region="371602", temperatures=(36.6,))  # another community's
    desk_page.goto("/staff/queue")
    expect(desk_page.locator(".queue-item")).to_have_count(1)
    expect(desk_page.locator(".queue-item")).to_contain_text("赵")
    desk_page.locator("a.queue-item").first.click()
    desk_page.wait_for_url("**/staff/applications/*")
    application = desk_page.url.rsplit("/", 1)[1]

    # 5. a video call: the resident answers, the issuer records the reading
    desk_page.get_by_role("link", name="视频通话").click()
    desk_page.wait_for_url("**/call")
    desk_page.click("#start-call")
    resident.goto("/")
    resident.locator("#incoming-call").get_by_role("link", name="接听").click(timeout=20_000)
    resident.wait_for_url("**/calls/*")
    resident.click("#accept-call")
    connected(resident)
    connected(desk_page)
    desk_page.fill("#temperature", "36.6")
    desk_page.click("#reading-form button[type=submit]")
    expect(desk_page.locator("#reading-saved")).to_contain_text("36.6")
    desk_page.click("#hang-up")
    expect(desk_page.locator("#call-status")).to_contain_text("通话已结束")

    # 6. the issuer signs green; the resident's code turns green
    desk_page.goto(f"/staff/applications/{application}")
    expect(desk_page.locator("main")).to_contain_text("36.6 ℃")  # today's, read on camera
    desk_page.click(".jump .button")
    desk_page.check("input[name=colour][value=green]")
    desk_page.click("form.decide button.primary")
    desk_page.wait_for_url("**/staff/queue?signed=green")
    env: Env = server.app.state.env
    units: UnitOfWorkFactory = server.app.state.uow_factory
    with units() as uow:
        account = uow.accounts.by_phone_hash(env.protector.keyed_hash(phone, kind="phone"))
        assert account is not None
        state = codes.read_code_state(
            uow, env, resident_id=account.resident_id, policy_id="shandong-pass"
        )
    assert state.colour.value == "green"
    resident.goto("/codes/shandong-pass")
    expect(resident.locator("main")).to_contain_text("绿")

    # 7. an issuer of another community sees none of it
    outsider_page = new_context(media_browser, server).new_page()
    staff_sign_in(outsider_page, server, other.issuers[0])
    expect(outsider_page.locator(".queue-item")).not_to_contain_text("赵")
    response = outsider_page.goto(f"/staff/applications/{application}")
    assert response is not None
    assert response.status == 404
    page_call = outsider_page.goto(f"/staff/applications/{application}/call")
    assert page_call is not None
    assert page_call.status == 404
