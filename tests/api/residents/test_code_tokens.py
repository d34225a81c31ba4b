"""The resident's token and QR endpoints over HTTP: a token never outlives its pass,
is reused while current, and each session has its own budget (issue 7 §1, §15)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from healthcode.domain.clock import TZ, FixedClock
from healthcode.services.accounts.permissions import Role
from healthcode.services.codes.health_codes import DISPLAY_LIMIT
from tests.api.helpers import (
    CapturingSender,
    declare,
    error,
    report,
    resident_headers,
    staff_headers,
)
from tests.factories.inputs import declaration_data

API = "/api/v1"
PASS = "shandong-pass"


def green_pass(client: TestClient, sms: CapturingSender, add_staff: Any) -> dict[str, str]:
    """A pass signed green on 2020-02-23 (the test clock's day): valid to 02-29 00:00."""
    me = resident_headers(client, sms)
    declare(client, me, declaration_data(PASS))
    add_staff("issuer01", Role.ISSUER)
    issuer = staff_headers(client, "issuer01")
    [application] = client.get(f"{API}/applications", headers=issuer).json()["items"]
    signed = client.post(
        f"{API}/applications/{application['id']}/signature",
        json={"colour": "green"},
        headers=issuer,
    )
    assert signed.json()["colour"] == "green", signed.text
    return me


def test_a_token_fetched_at_2359_40_is_refused_at_0000_20(
    client: TestClient, sms: CapturingSender, add_staff: Any, clock: FixedClock
) -> None:
    me = green_pass(client, sms, add_staff)
    for day in range(24, 29):
        clock.set(datetime(2020, 2, day, 8, tzinfo=TZ))
        assert report(client, me, PASS).status_code == 200
    clock.set(datetime(2020, 2, 28, 23, 59, 40, tzinfo=TZ))
    fetched = client.get(f"{API}/codes/{PASS}/token", headers=me).json()
    assert fetched["colour"] == "green"
    assert fetched["expires_at"] == "2020-02-29T00:00:00+08:00"
    assert fetched["refresh_in"] == 13
    clock.set(datetime(2020, 2, 29, 0, 0, 20, tzinfo=TZ))
    result = client.post(f"{API}/verify", json={"token": fetched["token"]}).json()
    assert (result["valid"], result["may_pass"], result["reason"]) == (False, False, "pass_lapsed")
    assert result["message"] == "此码所示通行卡已过有效期，请重新申请通行卡。"
    assert client.get(f"{API}/codes/{PASS}", headers=me).json()["colour"] == "yellow"


def test_the_token_is_reused_while_current(
    client: TestClient, sms: CapturingSender, clock: FixedClock
) -> None:
    me = resident_headers(client, sms)
    declare(client, me, declaration_data())
    first = client.get(f"{API}/codes/binzhou-code/token", headers=me).json()
    clock.set(clock.now().replace(second=30))
    again = client.get(f"{API}/codes/binzhou-code/token", headers=me).json()
    assert again["token"] == first["token"]
    assert again["refresh_in"] == 20  # two thirds of the 30 s left


def test_one_session_over_its_budget_gets_429_while_another_is_served(
    client: TestClient, sms: CapturingSender
) -> None:
    greedy = resident_headers(client, sms)
    calm = resident_headers(client, sms, "13900002222")
    declare(client, greedy, declaration_data())
    declare(client, calm, declaration_data())
    budget = int(DISPLAY_LIMIT.split("/")[0])
    paths = [f"{API}/codes/binzhou-code/token", f"{API}/codes/binzhou-code/qr.svg"]
    for i in range(budget):
        assert client.get(paths[i % 2], headers=greedy).status_code == 200, i
    refused = client.get(f"{API}/codes/binzhou-code/qr.png", headers=greedy)
    assert (refused.status_code, error(refused)["code"]) == (429, "rate_limited")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert client.get(f"{API}/codes/binzhou-code/qr.png", headers=calm).status_code == 200
