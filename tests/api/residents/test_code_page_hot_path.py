"""The code page's hot path (issue 14 §1): one read, the colour cache, and every rule
of the slow path kept — a logout is refused at once, a colour due for a change is
recoloured before it is shown, a write in one worker is seen by the other."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.app import create_app
from healthcode.config import Settings
from healthcode.domain.clock import TZ, FixedClock
from healthcode.services.codes import colour_cache
from healthcode.services.codes.colour_cache import CachedColour
from healthcode.services.shared.env import Env
from healthcode.services.shared.versioned_cache import RedisCache
from tests.api.helpers import CapturingSender, declare, error, report, resident_headers
from tests.api.residents.test_code_tokens import green_pass
from tests.api.residents.test_device_attestations import _key
from tests.conftest import missing_service
from tests.factories.inputs import declaration_data

API = "/api/v1"
CODE = "binzhou-code"
PASS = "shandong-pass"
REDIS_URL = "redis://127.0.0.1:6379/15"


def _fetch(client: TestClient, headers: dict[str, str], policy: str = CODE) -> dict[str, Any]:
    """Two fetches: the first tells this worker whose the session is, the second
    looks in the cache first (and fills it)."""
    for _ in range(2):
        response = client.get(f"{API}/codes/{policy}/token", headers=headers)
        assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _cached(app: FastAPI, client: TestClient, headers: dict[str, str], policy: str) -> bool:
    env: Env = app.state.env
    me = client.get(f"{API}/me", headers=headers).json()
    found = colour_cache.get(env, uuid.UUID(me["resident_id"]), policy)
    return isinstance(found, CachedColour)


class TestServedFromOneRead:
    def test_the_token_state_and_qr_agree_and_the_second_fetch_comes_from_the_cache(
        self, app: FastAPI, client: TestClient, sms: CapturingSender
    ) -> None:
        me = resident_headers(client, sms)
        declare(client, me, declaration_data(CODE))
        first = client.get(f"{API}/codes/{CODE}/token", headers=me)
        assert first.status_code == 200, first.text
        assert first.headers["cache-control"] == "no-store"
        again = client.get(f"{API}/codes/{CODE}/token", headers=me).json()
        assert _cached(app, client, me, CODE)
        assert again["token"] == first.json()["token"]  # reused, as before
        assert client.get(f"{API}/codes/{CODE}/token", headers=me).json() == again
        assert client.get(f"{API}/codes/{CODE}", headers=me).json()["colour"] == "green"
        assert client.get(f"{API}/codes/{CODE}/qr.svg", headers=me).status_code == 200

    def test_before_a_declaration_there_is_no_code(
        self, client: TestClient, sms: CapturingSender
    ) -> None:
        me = resident_headers(client, sms)
        response = client.get(f"{API}/codes/{CODE}/token", headers=me)
        assert (response.status_code, error(response)["code"]) == (409, "no_code")

    def test_a_logout_is_refused_at_once_even_with_the_colour_cached(
        self, app: FastAPI, client: TestClient, sms: CapturingSender
    ) -> None:
        me = resident_headers(client, sms)
        declare(client, me, declaration_data(CODE))
        _fetch(client, me)
        assert _cached(app, client, me, CODE)
        assert client.post(f"{API}/auth/logout", headers=me).status_code in (200, 204)
        for path in ("token", "attestation?device_key=" + _key()[1], "qr.png", ""):
            response = client.get(f"{API}/codes/{CODE}/{path}".rstrip("/"), headers=me)
            assert response.status_code == 401, (path, response.text)

    def test_a_staff_session_is_not_a_resident(
        self, client: TestClient, add_staff: Any, sms: CapturingSender
    ) -> None:
        from tests.api.helpers import staff_headers

        add_staff("checker01")
        staff = staff_headers(client, "checker01")
        response = client.get(f"{API}/codes/{CODE}/token", headers=staff)
        assert response.status_code == 403


class TestTheLapseInstant:
    def test_a_cached_green_pass_turns_yellow_at_its_end_and_the_change_is_recorded(
        self,
        app: FastAPI,
        client: TestClient,
        sms: CapturingSender,
        add_staff: Any,
        clock: FixedClock,
    ) -> None:
        me = green_pass(client, sms, add_staff)
        for day in range(24, 29):
            clock.set(datetime(2020, 2, day, 8, tzinfo=TZ))
            assert report(client, me, PASS).status_code == 200
        clock.set(datetime(2020, 2, 28, 23, 59, 30, tzinfo=TZ))
        assert _fetch(client, me, PASS)["colour"] == "green"
        assert _cached(app, client, me, PASS)
        clock.set(datetime(2020, 2, 29, 0, 0, 1, tzinfo=TZ))  # recheck_at has passed
        token = client.get(f"{API}/codes/{PASS}/token", headers=me).json()
        assert token["colour"] == "yellow"
        history = client.get(f"{API}/codes/{PASS}/history", headers=me).json()
        items = history if isinstance(history, list) else history["items"]
        lapsed = [(c["from_colour"], c["to_colour"]) for c in items if c["cause"] == "time"]
        assert lapsed == [("green", "yellow")]
        assert client.get(f"{API}/codes/{PASS}", headers=me).json()["colour"] == "yellow"


@pytest.fixture
def shared_redis() -> Iterator[str]:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as error:
        missing_service("Redis", f"{REDIS_URL}: {type(error).__name__}")
    prefix = f"hc:test:{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


class TestTwoWorkers:
    """Two app instances on one database and one Redis, as two workers would be."""

    def test_a_fever_reported_to_one_worker_is_shown_by_the_other(
        self,
        settings: Settings,
        clock: FixedClock,
        sessions: sessionmaker[Session],
        sms: CapturingSender,
        shared_redis: str,
    ) -> None:
        apps = [create_app(settings, clock=clock, sessions=sessions, otp_sender=sms) for _ in "ab"]
        for app in apps:
            app.state.env.cache = RedisCache(REDIS_URL, shared_redis)
        with TestClient(apps[0]) as one, TestClient(apps[1]) as other:
            me = resident_headers(one, sms)
            declare(one, me, declaration_data(CODE))
            for client in (one, other):  # both fill (and read) the shared entry
                assert (
                    client.get(f"{API}/codes/{CODE}/token", headers=me).json()["colour"] == "green"
                )
            assert _cached(apps[0], one, me, CODE)
            assert report(other, me, CODE, temperature=38.5).status_code == 200
            assert not _cached(apps[0], one, me, CODE)
            assert one.get(f"{API}/codes/{CODE}/token", headers=me).json()["colour"] == "yellow"
            assert one.get(f"{API}/codes/{CODE}", headers=me).json()["colour"] == "yellow"

    def test_a_logout_at_one_worker_is_refused_by_the_other(
        self,
        settings: Settings,
        clock: FixedClock,
        sessions: sessionmaker[Session],
        sms: CapturingSender,
        shared_redis: str,
    ) -> None:
        apps = [create_app(settings, clock=clock, sessions=sessions, otp_sender=sms) for _ in "ab"]
        for app in apps:
            app.state.env.cache = RedisCache(REDIS_URL, shared_redis)
        with TestClient(apps[0]) as one, TestClient(apps[1]) as other:
            me = resident_headers(one, sms)
            declare(one, me, declaration_data(CODE))
            assert other.get(f"{API}/codes/{CODE}/token", headers=me).status_code == 200
            assert one.post(f"{API}/auth/logout", headers=me).status_code in (200, 204)
            assert other.get(f"{API}/codes/{CODE}/token", headers=me).status_code == 401
