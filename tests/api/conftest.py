"""An app per test, on the test's database transaction and a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.app import create_app
from healthcode.config import Settings
from healthcode.domain.clock import FixedClock
from healthcode.services.accounts import login as accounts
from healthcode.services.accounts.permissions import Role
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import PASSWORD, CapturingSender
from tests.api.live_db import pg_schema, served  # noqa: F401 - fixtures


@pytest.fixture
def settings() -> Settings:
    return Settings(
        database_url="sqlite://",  # unused: the app gets the test's sessions
        secret_key="test-secret-key-not-for-production",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        scheduler=False,
    )


@pytest.fixture
def sms() -> CapturingSender:
    return CapturingSender()


@pytest.fixture
def app(
    settings: Settings, clock: FixedClock, sessions: sessionmaker[Session], sms: CapturingSender
) -> FastAPI:
    return create_app(settings, clock=clock, sessions=sessions, otp_sender=sms)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def add_staff(app: FastAPI, sessions: sessionmaker[Session]) -> Any:
    """Create a staff account in the test's transaction: add_staff(name, *roles)."""

    def add(username: str = "checker01", *roles: Role, disabled: bool = False) -> None:
        env: Env = app.state.env
        uow = UnitOfWork(sessions())
        held = [(role, "venue-1") for role in roles or (Role.CHECKPOINT,)]
        summary = accounts.create_staff(
            uow, env, username=username, password=PASSWORD, display_name="张 检查", roles=held
        )
        if disabled:
            row = uow.accounts.by_id(summary.id)
            assert row is not None
            row.disabled_at = env.clock.now()
        uow.commit()
        uow.close()

    return add
