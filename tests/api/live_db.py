"""A live uvicorn server on a database that really commits, for tests of what
happens between requests: outages, retries, concurrent callers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from healthcode.store.db import make_engine
from healthcode.store.migrate import upgrade
from tests.conftest import PG_URL
from tests.web import live
from tests.web.live import LiveServer

PHONE = "13912345678"


@pytest.fixture
def pg_schema(postgresql_engine: Engine) -> Iterator[str]:
    """A schema of this test's own: a live server commits, and nothing may leak."""
    schema = f"hc_live_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with postgresql_engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = pg_engine(PG_URL, schema)
    upgrade(engine)
    engine.dispose()
    yield schema
    with postgresql_engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def pg_engine(url: str, schema: str) -> Engine:
    return make_engine(url, connect_args={"options": f"-csearch_path={schema}"})


@pytest.fixture(params=["sqlite", "postgresql"])
def live_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    """A migrated database of the test's own on each kind, for a live server."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'live.db'}")
        upgrade(engine)
        return engine
    schema: str = request.getfixturevalue("pg_schema")
    return pg_engine(PG_URL, schema)


@pytest.fixture
def served() -> Iterator[list[LiveServer]]:
    running: list[LiveServer] = []
    yield running
    for server in running:
        server.stop()


def serve(
    engine: Engine, running: list[LiveServer], **settings: Any
) -> tuple[LiveServer, httpx.Client]:
    server = live.start_on(engine, **settings)
    running.append(server)
    return server, httpx.Client(base_url=server.url, timeout=30)


def sign_in(client: httpx.Client, server: LiveServer, phone: str = PHONE) -> dict[str, str]:
    assert client.post("/api/v1/auth/otp", json={"phone": phone}).status_code == 202
    body = {"phone": phone, "code": server.sms.sent[phone]}
    response = client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}
