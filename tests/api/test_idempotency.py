"""Idempotency-Key: a retried write is answered with the first reply, never redone.

On both databases through the app; concurrent retries on a live server.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import FixedClock
from healthcode.http import idempotency
from healthcode.services.accounts.permissions import Role
from healthcode.store import tables as t
from tests.api.helpers import (
    CapturingSender,
    declare,
    error,
    resident_headers,
    staff_headers,
)
from tests.api.live_db import serve, sign_in
from tests.factories.inputs import declaration_data
from tests.web.live import LiveServer

API = "/api/v1"
REPORT = f"{API}/codes/binzhou-code/reports"


def count(sessions: sessionmaker[Session], table: type[Any]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return headers | {"Idempotency-Key": key}


@pytest.fixture
def me(client: TestClient, sms: CapturingSender) -> dict[str, str]:
    headers = resident_headers(client, sms)
    declare(client, headers, declaration_data())
    return headers


class TestRetriedWrites:
    def test_a_retried_report_is_replayed_not_redone(
        self, client: TestClient, me: dict[str, str], sessions: sessionmaker[Session]
    ) -> None:
        first = client.post(REPORT, json={"temperature": 36.6}, headers=keyed(me, "report-1"))
        again = client.post(REPORT, json={"temperature": 36.6}, headers=keyed(me, "report-1"))
        assert first.status_code == again.status_code == 200, first.text
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        assert count(sessions, t.DailyReport) == 1
        other = client.post(REPORT, json={"temperature": 36.6}, headers=keyed(me, "report-2"))
        assert other.status_code == 200
        assert count(sessions, t.DailyReport) == 2

    def test_a_retried_declaration_and_confirmation(
        self,
        client: TestClient,
        sms: CapturingSender,
        sessions: sessionmaker[Session],
    ) -> None:
        me = resident_headers(client, sms)
        data = declaration_data()
        submitted = [
            client.post(f"{API}/declarations", json=data, headers=keyed(me, "declare-1"))
            for _ in range(2)
        ]
        assert [r.status_code for r in submitted] == [201, 201]
        assert submitted[0].json() == submitted[1].json()
        assert count(sessions, t.Declaration) == 1
        confirm = f"{API}/declarations/{submitted[0].json()['id']}/confirm"
        confirmed = [client.post(confirm, headers=keyed(me, "confirm-1")) for _ in range(2)]
        assert [r.status_code for r in confirmed] == [200, 200]
        assert confirmed[0].json() == confirmed[1].json()
        assert count(sessions, t.ColourChange) == 1

    def test_a_retried_signature(
        self,
        client: TestClient,
        sms: CapturingSender,
        add_staff: Any,
        sessions: sessionmaker[Session],
    ) -> None:
        declare(client, resident_headers(client, sms), declaration_data("shandong-pass"))
        add_staff("issuer01", Role.ISSUER)
        issuer = staff_headers(client, "issuer01")
        [application] = client.get(f"{API}/applications", headers=issuer).json()["items"]
        url = f"{API}/applications/{application['id']}/signature"
        signed = [
            client.post(url, json={"colour": "green"}, headers=keyed(issuer, "sign-1"))
            for _ in range(2)
        ]
        assert [r.status_code for r in signed] == [200, 200], signed[1].text
        assert signed[0].json() == signed[1].json()
        assert count(sessions, t.Signature) == 1


class TestKeys:
    def test_the_same_key_with_another_body_is_refused(
        self, client: TestClient, me: dict[str, str], sessions: sessionmaker[Session]
    ) -> None:
        assert client.post(REPORT, json={"temperature": 36.6}, headers=keyed(me, "k")).is_success
        other = client.post(REPORT, json={"temperature": 36.7}, headers=keyed(me, "k"))
        assert (other.status_code, error(other)["code"]) == (422, "idempotency_key_reused")
        assert count(sessions, t.DailyReport) == 1

    def test_a_refused_write_leaves_the_key_free(
        self, client: TestClient, sms: CapturingSender, sessions: sessionmaker[Session]
    ) -> None:
        me = resident_headers(client, sms)
        early = client.post(REPORT, json={"temperature": 36.6}, headers=keyed(me, "k"))
        assert (early.status_code, error(early)["code"]) == (409, "declare_first")
        declare(client, me, declaration_data())
        later = client.post(REPORT, json={"temperature": 36.6}, headers=keyed(me, "k"))
        assert later.status_code == 200, later.text
        assert count(sessions, t.DailyReport) == 1

    def test_a_key_belongs_to_one_session_and_expires(
        self,
        client: TestClient,
        me: dict[str, str],
        sms: CapturingSender,
        clock: FixedClock,
        sessions: sessionmaker[Session],
    ) -> None:
        body = {"temperature": 36.6}
        assert client.post(REPORT, json=body, headers=keyed(me, "k")).is_success
        clock.advance(timedelta(minutes=5))
        other = resident_headers(client, sms)  # the same phone, signed in again
        assert client.post(REPORT, json=body, headers=keyed(other, "k")).is_success
        assert count(sessions, t.DailyReport) == 2
        clock.advance(timedelta(hours=24, seconds=1))
        late = client.post(REPORT, json=body, headers=keyed(me, "k"))
        assert late.status_code == 200
        assert "idempotent-replayed" not in late.headers
        assert count(sessions, t.DailyReport) == 3

    def test_a_write_whose_reply_was_lost_is_not_told_to_retry_forever(
        self,
        client: TestClient,
        me: dict[str, str],
        clock: FixedClock,
        sessions: sessionmaker[Session],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """A worker killed between the write's commit and storing its reply left every
        retry 409 "in progress, retry in 1 s" for 24 hours (found from outside)."""
        monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.2)
        body = {"temperature": 36.6}
        assert client.post(REPORT, json=body, headers=keyed(me, "k")).is_success
        with sessions.begin() as session:  # as the killed worker left it: no reply kept
            session.execute(update(t.IdempotencyKey).values(status=None, body=None))
        soon = client.post(REPORT, json=body, headers=keyed(me, "k"))
        assert (soon.status_code, error(soon)["code"]) == (409, "idempotency_in_progress")
        clock.advance(idempotency.REPLY_LOST_AFTER + timedelta(seconds=1))
        late = client.post(REPORT, json=body, headers=keyed(me, "k"))
        assert (late.status_code, error(late)["code"]) == (409, "idempotency_reply_lost")
        assert "retry-after" not in late.headers
        assert "不要重复提交" in error(late)["message"]
        assert count(sessions, t.DailyReport) == 1

    def test_a_body_past_the_limit_without_a_length_is_refused(
        self, client: TestClient, me: dict[str, str]
    ) -> None:
        chunks = iter([b'{"temperature": 36.6, "x": "', b"x" * 70_000, b'"}'])
        headers = keyed(me, "k") | {"content-type": "application/json"}
        response = client.post(REPORT, content=chunks, headers=headers)
        assert (response.status_code, error(response)["code"]) == (413, "body_too_large")

    @pytest.mark.parametrize("key", ["", "x" * 256, "a b", "tab\there"])
    def test_a_malformed_key_is_refused(
        self, client: TestClient, me: dict[str, str], key: str
    ) -> None:
        response = client.post(REPORT, json={"temperature": 36.6}, headers=keyed(me, key))
        assert response.status_code == 422
        assert error(response)["fields"][0]["field"] == "idempotency-key"


def test_concurrent_retries_make_one_report(live_engine: Engine, served: list[LiveServer]) -> None:
    server, client = serve(live_engine, served)
    me = sign_in(client, server)
    assert client.post(f"{API}/declarations", json=declaration_data(), headers=me).is_success
    [declared] = server_rows(live_engine, t.Declaration)
    client.post(f"{API}/declarations/{declared}/confirm", headers=me).raise_for_status()
    callers, start = 8, threading.Barrier(8)
    answers: list[httpx.Response] = []

    def retry() -> None:
        with httpx.Client(base_url=server.url, timeout=60) as own:
            start.wait()
            answers.append(own.post(REPORT, json={"temperature": 36.6}, headers=keyed(me, "same")))

    threads = [threading.Thread(target=retry) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(server_rows(live_engine, t.DailyReport)) == 1
    codes = sorted((r.status_code, r.json().get("error", {}).get("code", "")) for r in answers)
    assert codes[0] == (200, ""), codes
    assert set(codes) <= {(200, ""), (409, "idempotency_in_progress")}, codes
    assert len({r.text for r in answers if r.status_code == 200}) == 1  # the one reply


def server_rows(engine: Engine, table: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.scalars(select(table.id)))
