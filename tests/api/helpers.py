"""Talking to the API as a resident or an officer, shared by the API and e2e tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.store.uow import UnitOfWork

PHONE = "13812341234"
PASSWORD = "correct horse battery"


class CapturingSender:
    """Keeps the one-time codes the app would have sent by SMS."""

    def __init__(self) -> None:
        self.sent: dict[str, str] = {}

    def send(self, phone: str, code: str) -> None:
        self.sent[phone] = code


class Response(Protocol):
    """What the tests read from a TestClient response (httpx or httpx2, per Starlette)."""

    status_code: int

    @property
    def text(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    def json(self) -> Any: ...


def request_code(client: TestClient, phone: str = PHONE) -> Response:
    return client.post("/api/v1/auth/otp", json={"phone": phone})


def send_code(client: TestClient, code: str, phone: str = PHONE) -> Response:
    return client.post("/api/v1/auth/login", json={"phone": phone, "code": code})


def resident_token(client: TestClient, sms: CapturingSender, phone: str = PHONE) -> str:
    assert request_code(client, phone).status_code == 202
    response = send_code(client, sms.sent[phone], phone)
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error(response: Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


def staff_login(client: TestClient, username: str, password: str = PASSWORD) -> Response:
    body = {"username": username, "password": password}
    return client.post("/api/v1/auth/staff/login", json=body)


def resident_headers(
    client: TestClient, sms: CapturingSender, phone: str = PHONE
) -> dict[str, str]:
    return bearer(resident_token(client, sms, phone))


def staff_headers(client: TestClient, username: str) -> dict[str, str]:
    response = staff_login(client, username)
    assert response.status_code == 200, response.text
    return bearer(response.json()["token"])


def declare(
    client: TestClient, headers: Mapping[str, str], data: Mapping[str, Any]
) -> dict[str, Any]:
    """Submit with the pledge and confirm: the resident's code as the API shows it."""
    submitted = client.post("/api/v1/declarations", json=dict(data), headers=headers)
    assert submitted.status_code == 201, submitted.text
    confirmed = client.post(
        f"/api/v1/declarations/{submitted.json()['id']}/confirm", headers=headers
    )
    assert confirmed.status_code == 200, confirmed.text
    code: dict[str, Any] = confirmed.json()
    return code


def report(
    client: TestClient, headers: Mapping[str, str], policy: str, temperature: float = 36.5
) -> Response:
    return client.post(
        f"/api/v1/codes/{policy}/reports", json={"temperature": temperature}, headers=headers
    )


def in_tx(app: FastAPI, sessions: sessionmaker[Session], work: Any) -> Any:
    """``work(uow, env)`` in a unit of work of the test's transaction, committed."""
    uow = UnitOfWork(sessions())
    try:
        done = work(uow, app.state.env)
        uow.commit()
        return done
    finally:
        uow.close()
