"""Cookies and CSRF over HTTP: the API takes no cookie for writes, page tokens are
bound to the session, and every cookie is Secure over HTTPS (also behind a proxy)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from tests.api.helpers import CapturingSender, bearer, error, resident_token
from tests.api.pages import HTML, page_token, sign_in_on_pages
from tests.factories.inputs import declaration_data

OTHER_PHONE = "13912341234"


class TestApiWritesTakeBearerOnly:
    def test_logout_with_only_the_cookie_and_an_empty_form_is_refused(
        self, client: TestClient, sms: CapturingSender
    ) -> None:
        sign_in_on_pages(client, sms)
        forged = client.post(
            "/api/v1/auth/logout",
            content=b"",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert forged.status_code == 401
        assert error(forged)["code"] == "bearer_required"
        assert client.get("/api/v1/me").status_code == 200  # reads still take the cookie

    def test_confirming_with_only_the_cookie_is_refused(
        self, client: TestClient, sms: CapturingSender
    ) -> None:
        token = resident_token(client, sms)
        submitted = client.post(
            "/api/v1/declarations", json=declaration_data(), headers=bearer(token)
        )
        assert submitted.status_code == 201, submitted.text
        confirm = f"/api/v1/declarations/{submitted.json()['id']}/confirm"
        client.cookies.set("hc_session", token)
        forged = client.post(confirm, data={})
        assert forged.status_code == 401
        assert error(forged)["code"] == "bearer_required"
        assert client.post(confirm, headers=bearer(token)).status_code == 200

    def test_the_bearer_scheme_is_read_in_any_case_and_documented_on_every_signed_in_route(
        self, client: TestClient, sms: CapturingSender
    ) -> None:
        token = resident_token(client, sms)
        for scheme in ("Bearer", "bearer", "BEARER"):
            answer = client.get("/api/v1/me", headers={"authorization": f"{scheme} {token}"})
            assert answer.status_code == 200, scheme
        assert (
            client.get("/api/v1/me", headers={"authorization": f"Basic {token}"}).status_code == 401
        )
        spec = client.get("/api/v1/openapi.json").json()
        assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
        scan = spec["paths"]["/api/v1/venues/{venue_id}/scans"]["post"]
        assert scan["security"] == [{"HTTPBearer": []}]  # Swagger UI's "Authorize" sends it
        assert "security" not in spec["paths"]["/api/v1/health"]["get"]


class TestPageTokens:
    def test_the_token_changes_at_sign_in_and_the_old_one_stops_working(
        self, client: TestClient, sms: CapturingSender
    ) -> None:
        before = page_token(client)
        anonymous = client.cookies["hc_csrf"]
        sign_in_on_pages(client, sms)
        after = page_token(client, "/")
        assert after != before
        assert client.cookies["hc_csrf"] != anonymous
        stale = client.post("/logout", headers={"x-csrf-token": before}, follow_redirects=False)
        assert stale.status_code == 403
        fresh = client.post("/logout", headers={"x-csrf-token": after}, follow_redirects=False)
        assert fresh.status_code == 303

    def test_one_sessions_token_does_not_work_for_another(
        self, app: FastAPI, sms: CapturingSender
    ) -> None:
        with TestClient(app) as mine, TestClient(app) as theirs:
            sign_in_on_pages(mine, sms)
            sign_in_on_pages(theirs, sms, OTHER_PHONE)
            their_token = page_token(theirs, "/")
            # Even with their anonymous cookie planted in my browser, their token fails.
            planted = theirs.cookies["hc_csrf"]
            mine.cookies.delete("hc_csrf")
            mine.cookies.set("hc_csrf", planted)
            forged = mine.post(
                "/logout", headers={"x-csrf-token": their_token}, follow_redirects=False
            )
            assert forged.status_code == 403
            assert mine.get("/api/v1/me").status_code == 200


class TestSecureCookies:
    def test_every_cookie_is_secure_over_https(self, app: FastAPI, sms: CapturingSender) -> None:
        with TestClient(app, base_url="https://testserver") as client:
            cookies = client.get("/login", headers=HTML).headers.get_list("set-cookie")
            cookies += sign_in_on_pages(client, sms)
            cookies += client.get("/lang/en", follow_redirects=False).headers.get_list("set-cookie")
            token = page_token(client, "/")
            out = client.post("/logout", headers={"x-csrf-token": token}, follow_redirects=False)
            assert out.status_code == 303
            cookies += out.headers.get_list("set-cookie")
        names = {c.split("=", 1)[0] for c in cookies}
        assert {"hc_csrf", "hc_session", "lang"} <= names
        assert [c for c in cookies if "; secure" not in c.lower()] == []

    def test_behind_a_tls_proxy_cookies_and_hsts_are_secure(self, app: FastAPI) -> None:
        # as `serve --proxy` runs it
        proxied = ProxyHeadersMiddleware(app, trusted_hosts="*")  # type: ignore[arg-type]
        with TestClient(proxied) as client:  # type: ignore[arg-type]
            page = client.get("/login", headers=HTML | {"x-forwarded-proto": "https"})
        assert "; Secure" in page.headers["set-cookie"]
        assert "max-age=" in page.headers["strict-transport-security"]

    def test_plain_http_cookies_stay_usable_for_development(self, client: TestClient) -> None:
        page = client.get("/login", headers=HTML)
        assert "secure" not in page.headers["set-cookie"].lower()
