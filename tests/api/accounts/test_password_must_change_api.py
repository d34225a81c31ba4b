"""A staff password an administrator set must be changed first, over HTTP on SQLite and
PostgreSQL: the account signs in, every staff page sends it to ``/staff/password``
(303, which says why) and every other API call answers 403
``password_change_required``, but changing the password, reading the account and
signing out work; the change lets everything through, a reset marks it again (an
outside probe, stop 44)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.services.accounts.permissions import Role
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import (
    PASSWORD,
    Response,
    bearer,
    error,
    in_tx,
    staff_headers,
    staff_login,
)
from tests.api.pages import HTML, page_token
from tests.factories.roster import region_admin

API = "/api/v1"
NAME, NEW, AGAIN = "issuer.first", "staple clip lantern 42", "quiet river stone 77"
WHY = "管理员为您设置的密码须先修改后才能继续使用"
QUEUE = f"{API}/applications"  # an issuer's review queue: any staff call


@pytest.fixture
def admin(app: FastAPI, sessions: sessionmaker[Session], client: TestClient) -> dict[str, str]:
    """The administrator of the community's city (371600)."""
    in_tx(app, sessions, lambda uow, env: region_admin(uow, env, "371600", username="admin.bz"))
    return staff_headers(client, "admin.bz")


@pytest.fixture
def made(client: TestClient, admin: dict[str, str], community: uuid.UUID) -> str:
    """An issuer of the community the administrator made with a first password: its id."""
    body = {"username": NAME, "password": PASSWORD, "display_name": "李敏"}
    roles = {"roles": [{"role": "issuer", "scope": f"org:{community}"}]}
    answer = client.post(f"{API}/staff-accounts", json=body | roles, headers=admin)
    assert answer.status_code == 201, answer.text
    account_id: str = answer.json()["id"]
    return account_id


def signed_in(client: TestClient, password: str = PASSWORD) -> dict[str, str]:
    answer = staff_login(client, NAME, password)
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["token"])


def change(client: TestClient, headers: dict[str, str], current: str, new: str) -> Response:
    body = {"current_password": current, "new_password": new}
    return client.post(f"{API}/me/password", json=body, headers=headers)


def must_change(client: TestClient, headers: dict[str, str]) -> bool:
    me = client.get(f"{API}/me", headers=headers)
    assert me.status_code == 200, me.text
    marked: bool = me.json()["must_change_password"]
    return marked


def refused(answer: Response) -> tuple[int, str, str]:
    return answer.status_code, error(answer)["code"], error(answer)["message"]


def on_pages(client: TestClient, headers: dict[str, str]) -> None:
    """The browser's session cookie for the same session."""
    client.cookies.set("hc_session", headers["Authorization"].removeprefix("Bearer "))


class TestFirstSignIn:
    def test_only_the_own_account_until_the_change_then_everything(
        self, client: TestClient, made: str
    ) -> None:
        signing = staff_login(client, NAME)
        assert signing.status_code == 200, signing.text
        assert signing.json()["account"]["must_change_password"] is True
        headers = bearer(signing.json()["token"])
        assert refused(client.get(QUEUE, headers=headers)) == (403, "password_change_required", WHY)
        english = client.get(QUEUE, headers=headers | {"Accept-Language": "en"})
        assert error(english)["message"] == (
            "The password an administrator set for you must be changed before you can go on"
        )
        assert must_change(client, headers)

        assert change(client, headers, PASSWORD, NEW).status_code == 204

        assert client.get(QUEUE, headers=headers).status_code == 200
        assert not must_change(client, headers)

    def test_on_the_pages_every_staff_page_leads_to_the_change_page_which_says_why(
        self, client: TestClient, made: str
    ) -> None:
        token = page_token(client, "/staff/login")
        signing = client.post(
            "/staff/login",
            data={"username": NAME, "password": PASSWORD, "next": "/staff", "csrf_token": token},
            headers=HTML,
        )  # redirects followed: to /staff, and from there to the change page
        assert signing.url.path == "/staff/password"
        assert WHY in signing.text
        for path in ("/staff", "/staff/queue", "/staff/venues", "/"):
            sent = client.get(path, headers=HTML, follow_redirects=False)
            assert (sent.status_code, sent.headers["location"]) == (303, "/staff/password")

        token = page_token(client, "/staff/password")
        form = {"current_password": PASSWORD, "new_password": NEW, "new_password_again": NEW}
        changed = client.post("/staff/password", data=form | {"csrf_token": token}, headers=HTML)
        assert changed.status_code == 200, changed.text[:300]
        assert "密码已修改" in changed.text
        assert WHY not in changed.text
        assert client.get("/staff", headers=HTML, follow_redirects=False).status_code == 200


class TestMarkedAgain:
    def test_an_administrators_reset_marks_it_and_the_owners_change_does_not(
        self, client: TestClient, admin: dict[str, str], made: str
    ) -> None:
        assert change(client, signed_in(client), PASSWORD, NEW).status_code == 204
        again = client.post(
            f"{API}/staff-accounts/{made}/password", json={"password": AGAIN}, headers=admin
        )
        assert again.status_code == 204, again.text
        headers = signed_in(client, AGAIN)
        assert refused(client.get(QUEUE, headers=headers))[:2] == (403, "password_change_required")
        assert change(client, headers, AGAIN, PASSWORD).status_code == 204
        assert change(client, headers, PASSWORD, NEW).status_code == 204  # the owner's own
        assert client.get(QUEUE, headers=headers).status_code == 200
        assert not must_change(client, headers)

    def test_an_account_whose_password_no_one_else_set_is_not_asked(
        self, client: TestClient, add_staff: Any
    ) -> None:
        add_staff("issuer01", Role.ISSUER)
        headers = staff_headers(client, "issuer01")
        assert not must_change(client, headers)
        assert client.get(QUEUE, headers=headers).status_code == 200


class TestSignOut:
    def test_the_api_signs_out_while_marked(self, client: TestClient, made: str) -> None:
        headers = signed_in(client)
        assert client.post(f"{API}/auth/logout", headers=headers).status_code == 204
        assert client.get(f"{API}/me", headers=headers).status_code == 401

    def test_the_change_page_offers_the_sign_out_and_it_works(
        self, client: TestClient, made: str
    ) -> None:
        on_pages(client, signed_in(client))
        page = client.get("/staff/password", headers=HTML)
        assert 'action="/logout"' in page.text
        token = page_token(client, "/staff/password")
        out = client.post(
            "/logout", data={"csrf_token": token}, headers=HTML, follow_redirects=False
        )
        assert (out.status_code, out.headers["location"]) == (303, "/login")
        gone = client.get("/staff/password", headers=HTML, follow_redirects=False)
        assert gone.headers["location"].startswith("/staff/login")


class TestGate:
    def test_a_guard_whose_password_was_reset_cannot_scan_until_it_is_changed(
        self,
        app: FastAPI,
        sessions: sessionmaker[Session],
        client: TestClient,
        admin: dict[str, str],
        community: uuid.UUID,
    ) -> None:
        """The scan reads its session in the venue's own query (``SESSION_COLUMNS``)."""
        venue = client.post(
            f"{API}/venues",
            json={"organisation_id": str(community), "kind": "checkpoint", "name": "东门卡口"},
            headers=admin,
        )
        assert venue.status_code == 201, venue.text
        scans = f"{API}/venues/{venue.json()['id']}/scans"
        body = {"username": "gate.guard1", "password": PASSWORD, "display_name": "门岗值班员"}
        operators = f"{API}/venues/{venue.json()['id']}/operators"
        assert client.post(operators, json=body, headers=admin).status_code == 200

        def guard_id(uow: UnitOfWork, _env: Any) -> str:
            found = uow.accounts.by_username("gate.guard1")
            assert found is not None
            return str(found.id)

        reset = f"{API}/staff-accounts/{in_tx(app, sessions, guard_id)}/password"
        assert client.post(reset, json={"password": AGAIN}, headers=admin).status_code == 204
        guard = bearer(staff_login(client, "gate.guard1", AGAIN).json()["token"])

        scan = client.post(scans, json={"token": "HC1:NOT-A-CODE"}, headers=guard)
        assert refused(scan)[:2] == (403, "password_change_required")
        assert change(client, guard, AGAIN, NEW).status_code == 204
        after = client.post(scans, json={"token": "HC1:NOT-A-CODE"}, headers=guard)
        assert after.status_code == 200, after.text  # read, and refused as no code of ours
