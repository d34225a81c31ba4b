"""Sign-in over HTTP: codes, sessions, permissions and the error shape, on both databases."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import FixedClock
from healthcode.http.security import PrincipalDep, ResidentDep, require
from healthcode.services.accounts.permissions import Permission
from healthcode.store import tables as t
from tests.api.helpers import (
    PASSWORD,
    PHONE,
    CapturingSender,
    bearer,
    error,
    request_code,
    resident_token,
    send_code,
    staff_login,
)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


class TestResidentLogin:
    def test_the_whole_journey(self, client: TestClient, sms: CapturingSender) -> None:
        sent = request_code(client, "138 1234 1234")
        assert sent.status_code == 202
        assert sent.json()["phone_masked"] == "138****1234"
        assert set(sent.json()) == {"phone_masked", "expires_at", "resend_after"}
        code = sms.sent[PHONE]
        login = send_code(client, code)
        assert login.status_code == 200
        assert code not in sent.text
        assert code not in login.text
        token = login.json()["token"]
        me = client.get("/api/v1/me", headers=bearer(token))
        assert me.status_code == 200
        assert me.json()["kind"] == "resident"
        assert me.json()["phone_masked"] == "138****1234"
        assert me.json()["roles"] == [{"role": "resident", "scope": ""}]
        assert me.json()["resident_id"] is None
        assert client.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
        refused = client.get("/api/v1/me", headers=bearer(token))
        assert refused.status_code == 401
        assert error(refused)["code"] == "not_authenticated"
        assert refused.headers["www-authenticate"] == "Bearer"

    def test_wrong_code_says_how_many_tries_are_left(
        self, client: TestClient, sms: CapturingSender
    ) -> None:
        request_code(client)
        response = client.post(
            "/api/v1/auth/login?lang=en", json={"phone": PHONE, "code": wrong(sms.sent[PHONE])}
        )
        assert response.status_code == 400
        assert error(response) == {
            "code": "otp_invalid",
            "message": "Wrong code; 4 attempt(s) left",
            "fields": [],
        }

    def test_locked_after_the_allowed_attempts(
        self, client: TestClient, sms: CapturingSender, app: FastAPI
    ) -> None:
        """Each wrong try is committed although the request fails; else guesses are free."""
        request_code(client)
        code = sms.sent[PHONE]
        attempts = app.state.env.settings.otp_attempts
        statuses = [send_code(client, wrong(code)).status_code for _ in range(attempts)]
        assert statuses == [400] * (attempts - 1) + [429]
        locked = send_code(client, code)
        assert locked.status_code == 429
        assert error(locked)["code"] == "otp_locked"
        assert int(locked.headers["retry-after"]) >= 1

    def test_code_expires_at_exactly_otp_seconds(
        self, client: TestClient, sms: CapturingSender, clock: FixedClock, app: FastAPI
    ) -> None:
        request_code(client)
        clock.advance(timedelta(seconds=app.state.env.settings.otp_seconds))
        response = send_code(client, sms.sent[PHONE])
        assert response.status_code == 400
        assert error(response)["code"] == "otp_expired"

    def test_a_code_works_once(self, client: TestClient, sms: CapturingSender) -> None:
        resident_token(client, sms)
        again = send_code(client, sms.sent[PHONE])
        assert again.status_code == 400
        assert error(again)["code"] == "otp_used"

    def test_cooldown_then_hourly_limit(self, client: TestClient, clock: FixedClock) -> None:
        assert request_code(client).status_code == 202
        cooldown = request_code(client)
        assert cooldown.status_code == 429
        assert error(cooldown)["code"] == "otp_cooldown"
        assert cooldown.headers["retry-after"] == "60"
        for _ in range(4):
            clock.advance(timedelta(minutes=1))
            assert request_code(client).status_code == 202
        clock.advance(timedelta(minutes=1))
        hourly = request_code(client)
        assert hourly.status_code == 429
        assert error(hourly)["code"] == "otp_hourly_limit"
        assert hourly.headers["retry-after"] == str(59 * 60)

    def test_per_client_limit(self, client: TestClient, app: FastAPI) -> None:
        for n in range(app.state.env.settings.otp_per_client_hour):
            assert request_code(client, f"13700000{n:03d}").status_code == 202
        refused = request_code(client, "13900001111")
        assert refused.status_code == 429
        assert error(refused)["code"] == "otp_client_limit"
        assert int(refused.headers["retry-after"]) > 3500

    def test_bad_phone_is_a_field_error(self, client: TestClient) -> None:
        response = request_code(client, "12345")
        assert response.status_code == 422
        assert [f["field"] for f in error(response)["fields"]] == ["phone"]

    @pytest.mark.parametrize("lang", ["zh", "en"])
    def test_a_body_that_is_not_utf8_is_refused_as_malformed_json(
        self, client: TestClient, lang: str
    ) -> None:
        """It was a bare 400 bad_request naming no field."""
        json = {"content-type": "application/json"}
        url = f"/api/v1/auth/otp?lang={lang}"
        not_utf8 = client.post(url, content=b'{"phone":"\xff\xfe"}', headers=json)
        broken = client.post(url, content=b'{"phone":', headers=json)
        assert not_utf8.status_code == broken.status_code == 422
        assert error(not_utf8)["code"] == error(broken)["code"] == "invalid_input"
        [field], [expected] = error(not_utf8)["fields"], error(broken)["fields"]
        assert (field["field"], field["code"]) == ("body", "json_invalid")
        assert field["message"] == expected["message"]
        words = {"zh": "请求内容不是有效的 JSON", "en": "The request body is not valid JSON"}
        assert field["message"] == words[lang]
        assert field["params"] == {"error": "Not UTF-8 at byte 10: invalid start byte"}

    def test_no_phone_or_code_in_clear_in_any_table(
        self, client: TestClient, sms: CapturingSender, sessions: sessionmaker[Session]
    ) -> None:
        token = resident_token(client, sms)
        code = sms.sent[PHONE]
        unkeyed = {hashlib.sha256(s.encode()).digest() for s in (code, f"{PHONE}:{code}")}
        with sessions() as session:
            for table in t.Base.metadata.sorted_tables:
                for row in session.execute(select(table)):
                    for value in row:
                        if isinstance(value, bytes):
                            assert PHONE.encode() not in value
                            assert value not in unkeyed
                            assert token.encode() not in value
                        elif isinstance(value, str):
                            assert PHONE not in value
                            assert token not in value
            challenge = session.scalars(select(t.OtpChallenge)).one()
            assert challenge.consumed_at is not None


class TestStaffLogin:
    def test_good_password(self, client: TestClient, add_staff: Any) -> None:
        add_staff("checker01")
        response = staff_login(client, "checker01")
        assert response.status_code == 200
        account = response.json()["account"]
        assert account["kind"] == "staff"
        assert account["username"] == "checker01"
        assert account["roles"] == [{"role": "checkpoint", "scope": "venue-1"}]
        assert account["permissions"] == ["release", "scan"]

    def test_wrong_password_and_unknown_user_get_the_same_answer(
        self, client: TestClient, add_staff: Any
    ) -> None:
        add_staff("checker01")
        wrong_password = staff_login(client, "checker01", "not the password")
        unknown = staff_login(client, "nobody", PASSWORD)
        assert wrong_password.status_code == unknown.status_code == 401
        assert wrong_password.json() == unknown.json()
        assert error(unknown)["code"] == "bad_credentials"

    def test_a_field_left_empty_is_named_and_not_counted(
        self, client: TestClient, add_staff: Any
    ) -> None:
        """Empty fields were a counted bad_credentials (401): three of them and the
        username was held back as after three wrong passwords."""
        add_staff("checker01")
        for _ in range(3):
            refused = staff_login(client, "checker01", "")
            assert (refused.status_code, error(refused)["code"]) == (422, "invalid_input")
            assert [(f["field"], f["code"], f["message"]) for f in error(refused)["fields"]] == [
                ("password", "required", "请输入密码")
            ]
        body = {"username": " ", "password": ""}
        both = client.post("/api/v1/auth/staff/login?lang=en", json=body)
        assert both.status_code == 422
        assert [(f["field"], f["code"], f["message"]) for f in error(both)["fields"]] == [
            ("username", "required", "Please enter your username"),
            ("password", "required", "Please enter your password"),
        ]
        assert staff_login(client, "checker01").status_code == 200

    def test_disabled_account(self, client: TestClient, add_staff: Any) -> None:
        add_staff("checker01", disabled=True)
        response = staff_login(client, "checker01")
        assert response.status_code == 403
        assert error(response)["code"] == "account_disabled"

    def test_too_many_failures_delay_the_next_try(
        self, client: TestClient, add_staff: Any, clock: FixedClock
    ) -> None:
        add_staff("checker01")
        for _ in range(3):
            assert staff_login(client, "checker01", "not the password").status_code == 401
        refused = staff_login(client, "checker01")
        assert refused.status_code == 429
        assert error(refused)["code"] == "login_rate_limited"
        assert refused.headers["retry-after"] == "1"
        clock.advance(timedelta(seconds=1))
        assert staff_login(client, "checker01").status_code == 200


class TestSessions:
    def test_cookie_works_like_bearer(self, client: TestClient, sms: CapturingSender) -> None:
        token = resident_token(client, sms)
        response = client.get("/api/v1/me", headers={"Cookie": f"hc_session={token}"})
        assert response.status_code == 200

    def test_no_token(self, client: TestClient) -> None:
        response = client.get("/api/v1/me")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"

    def test_expired_session(
        self, client: TestClient, sms: CapturingSender, clock: FixedClock, app: FastAPI
    ) -> None:
        token = resident_token(client, sms)
        clock.advance(timedelta(days=app.state.env.settings.session_days))
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401

    def test_logout_needs_a_session(self, client: TestClient) -> None:
        assert client.post("/api/v1/auth/logout", headers=bearer("nonsense")).status_code == 401


@pytest.fixture
def guarded(app: FastAPI) -> FastAPI:
    """Routes that only exist in these tests, guarded the way real routes will be."""

    @app.get("/api/v1/test/scan", dependencies=[Depends(require(Permission.SCAN))])
    def scan(principal: PrincipalDep) -> dict[str, str]:
        return {"account": str(principal.account_id)}

    @app.get("/api/v1/test/mine")
    def mine(principal: ResidentDep) -> dict[str, str]:
        return {"account": str(principal.account_id)}

    return app


class TestPermissions:
    def test_resident_cannot_scan(
        self, guarded: FastAPI, client: TestClient, sms: CapturingSender
    ) -> None:
        token = resident_token(client, sms)
        refused = client.get("/api/v1/test/scan", headers=bearer(token))
        assert refused.status_code == 403
        assert error(refused)["code"] == "forbidden"
        assert client.get("/api/v1/test/mine", headers=bearer(token)).status_code == 200

    def test_checkpoint_can_scan_but_is_not_a_resident(
        self, guarded: FastAPI, client: TestClient, add_staff: Any
    ) -> None:
        add_staff("checker01")
        token = staff_login(client, "checker01").json()["token"]
        assert client.get("/api/v1/test/scan", headers=bearer(token)).status_code == 200
        assert client.get("/api/v1/test/mine", headers=bearer(token)).status_code == 403

    def test_no_session_is_401_not_403(self, guarded: FastAPI, client: TestClient) -> None:
        assert client.get("/api/v1/test/scan").status_code == 401


class TestLanguage:
    def test_chinese_by_default_english_on_request(
        self, client: TestClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        assert error(client.get("/api/v1/me"))["message"] == "请先登录"
        assert error(client.get("/api/v1/me?lang=en"))["message"] == "Please sign in"
