"""A pass application from a county with no community or village: the resident is told
plainly, on the code page and in the API, why nobody reviews it yet; the region's
administrator sees how many wait, on the organisations page and in the API; the
county's first community registered takes it into its issuers' queue."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.services.accounts.permissions import Role
from tests.api.helpers import (
    PASSWORD,
    CapturingSender,
    bearer,
    declare,
    resident_headers,
    staff_headers,
)
from tests.api.organisations.test_issuer_reach import issuer_of, staff_with
from tests.api.pages import HTML, page_token, sign_in_on_pages
from tests.factories.identity import make_uscc
from tests.factories.inputs import declaration_data, id_number

API = "/api/v1"
HUIMIN = "371621"  # a county of Binzhou with no community (the tests' one is in 371602)
SAYS_ZH = "您所在县（市、区）尚无社区或村在平台登记"
SAYS_EN = "No community or village of your county is registered on the platform yet"


def signed_in(client: TestClient, sms: CapturingSender) -> dict[str, str]:
    """Signed in on the pages (one code texted): the session serves the API as a bearer."""
    sign_in_on_pages(client, sms)
    return bearer(client.cookies["hc_session"])


def apply_in_huimin(client: TestClient, sms: CapturingSender) -> tuple[dict[str, str], Any]:
    """A resident of a county with no community applies; their headers, the code."""
    me = signed_in(client, sms)
    return me, declare(client, me, declaration_data("shandong-pass", region=HUIMIN))


def test_the_resident_is_told_no_community_is_registered_yet(
    client: TestClient, sms: CapturingSender
) -> None:
    me, confirmed = apply_in_huimin(client, sms)
    assert confirmed["colour"] == "pending"
    assert confirmed["unrouted"] is True
    assert SAYS_ZH in confirmed["unrouted_note"]

    code = client.get(f"{API}/codes/shandong-pass", headers=me).json()
    assert (code["unrouted"], code["unrouted_note"][: len(SAYS_ZH)]) == (True, SAYS_ZH)
    english = client.get(f"{API}/codes/shandong-pass", headers=me | {"accept-language": "en"})
    assert SAYS_EN in english.json()["unrouted_note"]
    page = client.get("/codes/shandong-pass", headers=HTML)
    assert page.status_code == 200, page.text[:300]
    assert SAYS_ZH in page.text
    assert "一旦有社区或村登记即送其审核" in page.text
    home = client.get("/", headers=HTML)
    assert home.status_code == 200, home.text[:300]
    assert SAYS_ZH in home.text  # on the pass's card too


def test_a_resident_whose_county_has_a_community_is_not_told_so(
    client: TestClient, sms: CapturingSender
) -> None:
    me = signed_in(client, sms)
    confirmed = declare(client, me, declaration_data("shandong-pass"))
    assert (confirmed["unrouted"], confirmed["unrouted_note"]) == (False, None)
    assert client.get(f"{API}/codes/shandong-pass", headers=me).json()["unrouted"] is False
    page = client.get("/codes/shandong-pass", headers=HTML)
    assert page.status_code == 200, page.text[:300]
    assert SAYS_ZH not in page.text
    assert SAYS_ZH not in client.get("/", headers=HTML).text


def test_the_regions_administrator_counts_them_and_a_new_community_takes_them(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender
) -> None:
    apply_in_huimin(client, sms)
    staff_with(app, sessions, "admin.binzhou", Role.ADMIN, "region:371600")
    admin = staff_headers(client, "admin.binzhou")

    unrouted = client.get(f"{API}/organisations/unrouted", headers=admin)
    assert unrouted.status_code == 200, unrouted.text
    body = unrouted.json()
    assert body["total"] == 1
    [county] = body["counties"]
    assert (county["region"], county["region_name"], county["count"]) == (
        HUIMIN,
        "山东省滨州市惠民县",
        1,
    )

    token = page_token(client, "/staff/login")
    client.post(
        "/staff/login",
        data={"username": "admin.binzhou", "password": PASSWORD, "csrf_token": token},
        headers=HTML,
    )
    page = client.get("/staff/organisations", headers=HTML)
    assert "1 份通行卡申请无签发人可审核" in page.text
    assert "山东省滨州市惠民县（371621）：1 份" in page.text
    client.cookies.clear()

    registered = client.post(
        f"{API}/organisations",
        json={
            "kind": "community",
            "credit_code": make_uscc(authority="5", kind="1", region=HUIMIN, org_body="H0000001"),
            "name": "惠民县孙武街道社区居民委员会",
            "responsible_person": "李四",
            "region": HUIMIN,
            "contact_phone": "13912345678",
        },
        headers=admin,
    )
    assert registered.status_code == 201, registered.text
    assert client.get(f"{API}/organisations/unrouted", headers=admin).json() == {
        "total": 0,
        "counties": [],
    }
    community = registered.json()["id"]
    issuer_of(app, sessions, "issuer.huimin", community)
    queue = client.get(f"{API}/applications", headers=staff_headers(client, "issuer.huimin"))
    assert queue.json()["total"] == 1


def test_a_resident_cannot_read_the_count(client: TestClient, sms: CapturingSender) -> None:
    me = resident_headers(client, sms)
    assert client.get(f"{API}/organisations/unrouted", headers=me).status_code == 403


def test_a_whole_city_is_refused_as_the_residence_of_an_application_going_by_county(
    client: TestClient, sms: CapturingSender
) -> None:
    """A city or province matches no county: the application would wait for a community
    never found. The form says so at once, naming the place; choosing a community (or an
    employer) makes the county unnecessary."""
    me = resident_headers(client, sms)
    for place in ("371600", "滨州市", "370000"):
        data = declaration_data("shandong-pass", region=place)
        answer = client.post(f"{API}/declarations", json=data, headers=me)
        assert answer.status_code == 422, answer.text
        errors = answer.json()["error"]["fields"]
        assert [(e["field"], e["code"]) for e in errors] == [("region", "county_required")]
        assert "请选择所在县（市、区）" in errors[0]["message"]
    english = client.post(
        f"{API}/declarations",
        json=declaration_data("shandong-pass", region="371600"),
        headers=me | {"accept-language": "en"},
    )
    said = english.json()["error"]["fields"][0]["message"]
    assert "山东省滨州市" in said
    assert "Choose your county or district" in said
    city_code = declaration_data("binzhou-code", region="371600")  # no routing: a city will do
    assert client.post(f"{API}/declarations", json=city_code, headers=me).status_code == 201


def test_a_childs_application_waiting_for_a_community_says_so_on_the_family_page(
    client: TestClient, sms: CapturingSender
) -> None:
    me = signed_in(client, sms)
    child = declaration_data(
        "shandong-pass", id_number=id_number(date(2016, 5, 5)), name="王小宝", region=HUIMIN
    )
    made = client.post(
        f"{API}/dependants/declarations", params={"relationship": "child"}, json=child, headers=me
    )
    assert made.status_code == 201, made.text
    confirmed = client.post(f"{API}/declarations/{made.json()['id']}/confirm", headers=me)
    assert confirmed.status_code == 200, confirmed.text
    [member] = client.get(f"{API}/dependants", headers=me).json()

    page = client.get(f"/family/{member['resident_id']}/codes/shandong-pass", headers=HTML)

    assert page.status_code == 200, page.text[:300]
    assert SAYS_ZH in page.text
