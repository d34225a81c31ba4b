"""Driving the web pages from a TestClient, as a browser would: CSRF token, sign-in."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.api.helpers import PHONE, CapturingSender

HTML = {"accept": "text/html"}


def page_token(client: TestClient, path: str = "/login") -> str:
    page = client.get(path, headers=HTML)
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert found is not None, page.text[:300]
    return found.group(1)


def sign_in_on_pages(client: TestClient, sms: CapturingSender, phone: str = PHONE) -> list[str]:
    """Sign in as a browser would; the Set-Cookie headers it was sent on the way."""
    seen: list[str] = []
    token = page_token(client)
    sent = client.post("/login/code", data={"phone": phone, "csrf_token": token}, headers=HTML)
    assert sent.status_code == 200, sent.text[:300]
    seen += sent.headers.get_list("set-cookie")
    signed = client.post(
        "/login",
        data={"phone": phone, "code": sms.sent[phone], "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text[:300]
    seen += signed.headers.get_list("set-cookie")
    assert "hc_session" in client.cookies
    return seen
