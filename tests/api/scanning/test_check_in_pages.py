"""The check-in pages' refusals, as a browser without JavaScript meets them: every one
a page that says what went wrong, never a 500 (both databases)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.http.security import SESSION_COOKIE
from healthcode.services.scanning.venues import VenueSummary
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import PHONE, CapturingSender, declare, resident_headers
from tests.api.pages import HTML, page_token, sign_in_on_pages
from tests.api.residents.test_dependants import for_child
from tests.factories.inputs import declaration_data, id_number
from tests.factories.roster import employer_admin, region_admin
from tests.factories.scanning import venue


@pytest.fixture
def market(app: FastAPI, sessions: sessionmaker[Session], community: uuid.UUID) -> VenueSummary:
    uow = UnitOfWork(sessions())
    made = venue(uow, app.state.env, employer_admin(uow, app.state.env, community), community)
    uow.commit()
    uow.close()
    return made


def test_a_resident_without_a_code_is_told_to_apply_first(
    client: TestClient, sms: CapturingSender, market: VenueSummary
) -> None:
    sign_in_on_pages(client, sms)
    page = client.get(f"/v/{market.code}", headers=HTML)
    assert page.status_code == 200
    assert market.name in page.text
    assert "您还没有健康码，无法登记进入" in page.text
    token = page_token(client, f"/v/{market.code}")
    posted = client.post(
        f"/v/{market.code}", data={"policy": "binzhou-code", "csrf_token": token}, headers=HTML
    )
    assert posted.status_code == 409
    assert 'id="check-in-problem"' in posted.text


def test_an_unknown_venue_or_code_type_is_not_found_and_a_closed_venue_refuses(
    client: TestClient,
    sms: CapturingSender,
    sessions: sessionmaker[Session],
    market: VenueSummary,
) -> None:
    sign_in_on_pages(client, sms)
    assert client.get("/v/no-such-venue", headers=HTML).status_code == 404
    token = page_token(client, f"/v/{market.code}")
    unknown = client.post(
        f"/v/{market.code}", data={"policy": "no-such", "csrf_token": token}, headers=HTML
    )
    assert unknown.status_code == 404
    uow = UnitOfWork(sessions())
    row = uow.venues.by_code(market.code)
    assert row is not None
    row.status = "closed"
    uow.commit()
    uow.close()
    closed = client.post(
        f"/v/{market.code}", data={"policy": "binzhou-code", "csrf_token": token}, headers=HTML
    )
    assert closed.status_code == 409
    assert "该场所已关闭，不接受登记" in closed.text


def test_signed_out_the_venue_page_asks_to_sign_in_and_comes_back(
    client: TestClient, market: VenueSummary
) -> None:
    page = client.get(f"/v/{market.code}", headers=HTML, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login?next=")
    assert market.code in page.headers["location"]


def test_the_scan_page_without_javascript_opens_a_typed_venue_code_or_link(
    client: TestClient, market: VenueSummary
) -> None:
    for typed in (market.code, f"http://testserver/v/{market.code}"):
        opened = client.get("/scan", params={"text": typed}, follow_redirects=False)
        assert (opened.status_code, opened.headers["location"]) == (303, f"/v/{market.code}")
    for other in (f"https://elsewhere.example/v/{market.code}", "HC1:6BF…", "短"):
        page = client.get("/scan", params={"text": other}, headers=HTML)
        assert page.status_code == 200
        assert "这个二维码不是本站的场所码" in page.text


def test_the_printable_code_is_the_venues_link_and_only_its_staff_see_it(
    app: FastAPI, client: TestClient, sessions: sessionmaker[Session], market: VenueSummary
) -> None:
    uow = UnitOfWork(sessions())
    admin_name = f"admin.{uuid.uuid4().hex[:8]}"
    region_admin(uow, app.state.env, "371602", username=admin_name)
    outsider = f"admin.{uuid.uuid4().hex[:8]}"
    region_admin(uow, app.state.env, "370102", username=outsider)
    uow.commit()
    uow.close()

    def sign_in_staff(username: str) -> None:
        token = page_token(client, "/staff/login")
        client.post(
            "/staff/login",
            data={"username": username, "password": "correct horse battery", "csrf_token": token},
            headers=HTML,
        )

    sign_in_staff(outsider)
    assert client.get(f"/staff/venues/{market.id}/code", headers=HTML).status_code == 404
    client.cookies.clear()
    sign_in_staff(admin_name)
    page = client.get(f"/staff/venues/{market.id}/code", headers=HTML)
    assert page.status_code == 200
    assert f"http://testserver/v/{market.code}" in page.text  # the QR's link, read in Chromium
    assert page.text.count("<svg") == 1


def test_a_parent_checks_in_a_child_with_the_childs_own_code(
    client: TestClient,
    sms: CapturingSender,
    sessions: sessionmaker[Session],
    market: VenueSummary,
) -> None:
    """A child without a phone enters with a parent: the venue page offers the child's
    code beside the parent's, and the entry is recorded as the child's (tracing finds
    them); another account's family member, or a made-up one, is not found."""
    me = resident_headers(client, sms, PHONE)
    declare(client, me, declaration_data(id_number=id_number()))
    child = for_child(client, me, id_number(date(2016, 5, 5)))
    client.post(f"/api/v1/declarations/{child.json()['id']}/confirm", headers=me)
    [member] = client.get("/api/v1/dependants", headers=me).json()
    client.cookies.set(SESSION_COOKIE, me["Authorization"].removeprefix("Bearer "))
    page = client.get(f"/v/{market.code}", headers=HTML)
    assert "为王**用" in page.text
    assert f'name="member" value="{member["resident_id"]}"' in page.text
    token = page_token(client, f"/v/{market.code}")
    form = {"policy": "binzhou-code", "csrf_token": token, "member": member["resident_id"]}
    done = client.post(f"/v/{market.code}", data=form, headers=HTML)
    assert done.status_code == 200, done.text[:300]
    assert "王**的" in done.text
    uow = UnitOfWork(sessions())
    row = uow.venues.by_code(market.code)
    assert row is not None
    [scan] = uow.scans.of_venue(row.id)
    assert str(scan.resident_id) == member["resident_id"]
    uow.close()
    for someone in (str(uuid.uuid4()), "not-an-id"):
        refused = client.post(f"/v/{market.code}", data=form | {"member": someone}, headers=HTML)
        assert refused.status_code == 404
        assert "没有这位家庭成员" in refused.text


def test_a_childs_code_not_green_says_the_child_may_not_enter_and_opens_the_childs_code(
    client: TestClient, sms: CapturingSender, market: VenueSummary
) -> None:
    """The parent's own code is green, the child's is not: the refusal speaks of the
    child's code and its link opens the child's code, not the parent's green one."""
    me = resident_headers(client, sms, PHONE)
    declare(client, me, declaration_data(id_number=id_number()))
    data = declaration_data(id_number=id_number(date(2016, 5, 5)), name="王小宝", temperature=38.6)
    child = client.post(
        "/api/v1/dependants/declarations", params={"relationship": "child"}, json=data, headers=me
    )
    client.post(f"/api/v1/declarations/{child.json()['id']}/confirm", headers=me)
    [member] = client.get("/api/v1/dependants", headers=me).json()
    client.cookies.set(SESSION_COOKIE, me["Authorization"].removeprefix("Bearer "))
    token = page_token(client, f"/v/{market.code}")
    form = {"policy": "binzhou-code", "csrf_token": token, "member": member["resident_id"]}
    done = client.post(f"/v/{market.code}", data=form, headers=HTML)
    assert done.status_code == 200, done.text[:300]
    assert "请勿进入" in done.text
    assert f'href="/family/{member["resident_id"]}/codes/binzhou-code"' in done.text
    assert 'href="/codes/binzhou-code"' not in done.text
    assert "您的健康码" not in done.text
    assert "王**的健康码不是绿码" in done.text
