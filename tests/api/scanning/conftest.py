"""A venue registered over the API by the region's administrator, its operator signed
in, and a resident with a green code."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.config import Settings
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import (
    PASSWORD,
    CapturingSender,
    declare,
    resident_headers,
    staff_headers,
)
from tests.factories.inputs import declaration_data, id_number
from tests.factories.roster import region_admin

API = "/api/v1"
ID_LOOKUPS = 3  # per operator and minute, in these tests


@pytest.fixture
def settings() -> Settings:
    return Settings(
        database_url="sqlite://",
        secret_key="test-secret-key-not-for-production",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        scheduler=False,
        id_lookups_per_minute=ID_LOOKUPS,
    )


@dataclass
class Site:
    venue_id: str
    admin: dict[str, str]
    guard: dict[str, str]
    resident: dict[str, str]
    resident_id_number: str

    def scans(self) -> str:
        return f"{API}/venues/{self.venue_id}/scans"


def in_session(app: FastAPI, sessions: sessionmaker[Session]) -> Iterator[tuple[UnitOfWork, Env]]:
    uow = UnitOfWork(sessions())
    try:
        yield uow, app.state.env
        uow.commit()
    finally:
        uow.close()


def new_venue(
    client: TestClient, admin: dict[str, str], community: uuid.UUID, **fields: Any
) -> str:
    body = {"organisation_id": str(community), "kind": "checkpoint", "name": "东门卡口"} | fields
    made = client.post(f"{API}/venues", json=body, headers=admin)
    assert made.status_code == 201, made.text
    venue_id: str = made.json()["id"]
    return venue_id


def new_guard(
    client: TestClient, admin: dict[str, str], venue_id: str, username: str
) -> dict[str, str]:
    body = {"username": username, "password": PASSWORD, "display_name": "门岗值班员"}
    made = client.post(f"{API}/venues/{venue_id}/operators", json=body, headers=admin)
    assert made.status_code == 200, made.text
    return staff_headers(client, username)


@pytest.fixture
def site(
    app: FastAPI,
    client: TestClient,
    sms: CapturingSender,
    sessions: sessionmaker[Session],
    community: uuid.UUID,
) -> Site:
    for uow, env in in_session(app, sessions):
        region_admin(uow, env, "371602", username="region.admin")
    admin = staff_headers(client, "region.admin")
    venue_id = new_venue(client, admin, community, latitude=37.3835, longitude=117.9708)
    guard = new_guard(client, admin, venue_id, "gate.guard1")
    resident = resident_headers(client, sms)
    number = id_number()
    declare(client, resident, declaration_data(id_number=number))
    return Site(venue_id, admin, guard, resident, number)
