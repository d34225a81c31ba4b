"""Staff passwords over HTTP: one's own changed (``/me/password``) and an administrator's
reset (``/staff-accounts/{id}/password``), each refusal naming its field and code in the
request's language (an outside probe, stop 44: neither existed)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.services.accounts import passwords
from healthcode.services.accounts.permissions import Role
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import (
    CapturingSender,
    Response,
    error,
    in_tx,
    resident_headers,
    staff_headers,
    staff_login,
)
from tests.factories.roster import region_admin

NEW = "staple clip lantern 42"
ME = "/api/v1/me/password"


def fields(answer: Response) -> list[tuple[str, str, str]]:
    return [(f["field"], f["code"], f["message"]) for f in error(answer)["fields"]]


def change(client: TestClient, headers: dict[str, str], current: str, new: str = NEW) -> Response:
    return client.post(ME, json={"current_password": current, "new_password": new}, headers=headers)


class TestChangeOwn:
    def test_changed_the_other_session_ends_and_this_one_stays(
        self, client: TestClient, add_staff: Any
    ) -> None:
        add_staff("checker01")
        other, mine = staff_headers(client, "checker01"), staff_headers(client, "checker01")
        answer = change(client, mine, "correct horse battery")
        assert answer.status_code == 204, answer.text
        assert client.get("/api/v1/me", headers=mine).status_code == 200
        assert client.get("/api/v1/me", headers=other).status_code == 401
        assert staff_login(client, "checker01").status_code == 401
        assert staff_login(client, "checker01", NEW).status_code == 200

    def test_a_wrong_current_password_is_named_in_either_language_and_counted(
        self, client: TestClient, add_staff: Any
    ) -> None:
        add_staff("checker01")
        headers = staff_headers(client, "checker01")
        wrong = change(client, headers, "not my password")
        assert wrong.status_code == 422
        assert fields(wrong) == [("current_password", "wrong_password", "当前密码不正确")]
        english = change(client, headers | {"Accept-Language": "en"}, "not my password either")
        assert fields(english) == [
            ("current_password", "wrong_password", "The current password is wrong")
        ]
        for _ in range(passwords.FREE_FAILURES - 2):
            assert change(client, headers, "still not it").status_code == 422
        held = change(client, headers, "correct horse battery")
        assert (held.status_code, error(held)["code"]) == (429, "login_rate_limited")
        assert "Retry-After" in held.headers
        assert staff_login(client, "checker01").status_code == 429  # the sign-in's delay

    @pytest.mark.parametrize(
        ("new", "code", "message"),
        [
            ("1234567890123", "all_digits", "不能全是数字"),
            ("correct horse battery", "same_as_current", "新密码不能与当前密码相同"),
            ("", "required", "请输入新密码"),
        ],
    )
    def test_a_new_password_refused_is_said_on_new_password(
        self, client: TestClient, add_staff: Any, new: str, code: str, message: str
    ) -> None:
        add_staff("checker01")
        answer = change(client, staff_headers(client, "checker01"), "correct horse battery", new)
        assert answer.status_code == 422
        assert fields(answer) == [("new_password", code, message)]

    def test_a_resident_has_no_password_and_a_bad_body_is_a_field_error(
        self, client: TestClient, sms: CapturingSender
    ) -> None:
        headers = resident_headers(client, sms)
        refused = change(client, headers, "correct horse battery")
        assert (refused.status_code, error(refused)["code"]) == (403, "no_password")
        unknown = client.post(ME, json={"password": NEW}, headers=headers)
        assert unknown.status_code == 422
        assert {(f, c) for f, c, _ in fields(unknown)} == {
            ("current_password", "missing"),
            ("new_password", "missing"),
            ("password", "extra_forbidden"),
        }

    def test_signed_out_is_401(self, client: TestClient) -> None:
        assert change(client, {}, "correct horse battery").status_code == 401


@pytest.fixture
def admin(app: FastAPI, sessions: sessionmaker[Session], client: TestClient) -> dict[str, str]:
    """The administrator of the community's city (371600)."""
    in_tx(app, sessions, lambda uow, env: region_admin(uow, env, "371600", username="admin.bz"))
    return staff_headers(client, "admin.bz")


def account_id(app: FastAPI, sessions: sessionmaker[Session], username: str) -> str:
    def find(uow: UnitOfWork, _env: Any) -> str:
        found = uow.accounts.by_username(username)
        assert found is not None
        return str(found.id)

    return str(in_tx(app, sessions, find))


def reset(client: TestClient, who: dict[str, str], account: str, password: str = NEW) -> Response:
    path = f"/api/v1/staff-accounts/{account}/password"
    return client.post(path, json={"password": password}, headers=who)


class TestReset:
    @pytest.fixture
    def target(self, app: FastAPI, sessions: sessionmaker[Session], add_staff: Any) -> str:
        """An issuer of the community (371602), signed in on its own."""
        add_staff("issuer01", Role.ISSUER)
        return account_id(app, sessions, "issuer01")

    def test_every_session_of_the_account_ends_and_the_new_password_signs_in(
        self, client: TestClient, admin: dict[str, str], target: str
    ) -> None:
        theirs = staff_headers(client, "issuer01")
        answer = reset(client, admin, target)
        assert answer.status_code == 204, answer.text
        assert client.get("/api/v1/me", headers=theirs).status_code == 401
        assert staff_login(client, "issuer01").status_code == 401
        assert staff_login(client, "issuer01", NEW).status_code == 200
        assert client.get("/api/v1/me", headers=admin).status_code == 200  # not the admin's

    def test_an_administrator_of_another_region_gets_404(
        self, client: TestClient, app: FastAPI, sessions: sessionmaker[Session], target: str
    ) -> None:
        in_tx(app, sessions, lambda uow, env: region_admin(uow, env, "370100", username="admin.jn"))
        answer = reset(client, staff_headers(client, "admin.jn"), target)
        assert (answer.status_code, error(answer)["code"]) == (404, "not_found")
        assert staff_login(client, "issuer01").status_code == 200

    def test_a_weak_password_is_said_on_password_and_ones_own_is_refused(
        self,
        client: TestClient,
        app: FastAPI,
        sessions: sessionmaker[Session],
        admin: dict[str, str],
        target: str,
    ) -> None:
        weak = reset(client, admin, target, "1234567890123")
        assert weak.status_code == 422
        assert fields(weak) == [("password", "all_digits", "不能全是数字")]
        english = reset(client, admin | {"Accept-Language": "en"}, target, "")
        assert fields(english) == [("password", "required", "Please enter the new password")]
        own = reset(
            client, admin | {"Accept-Language": "en"}, account_id(app, sessions, "admin.bz")
        )
        assert (own.status_code, error(own)["code"]) == (409, "own_password")
        assert "Change my password" in error(own)["message"]
        assert staff_login(client, "issuer01").status_code == 200
