"""An app per test, on the test's database transaction and a fixed clock."""

from __future__ import annotations

import uuid
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
from healthcode.services.organisations.authorisations import grant
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import PASSWORD, CapturingSender
from tests.api.live_db import live_engine, pg_schema, served  # noqa: F401 - fixtures
from tests.factories.organisations import organisation


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


@pytest.fixture(autouse=True)
def _community_with_the_app(request: pytest.FixtureRequest) -> None:
    """Every test of the app has the community; a test without the app (its own live
    server, no database) is not run once more per database for it."""
    if "app" in request.fixturenames:
        request.getfixturevalue("community")


@pytest.fixture
def community(app: FastAPI, sessions: sessionmaker[Session]) -> uuid.UUID:
    """The one community of the test region (371602): pass applications go to it."""
    uow = UnitOfWork(sessions())
    found = organisation(uow, app.state.env, name="黄河五路社区居民委员会").id
    uow.commit()
    uow.close()
    return found


@pytest.fixture
def add_staff(app: FastAPI, sessions: sessionmaker[Session], community: uuid.UUID) -> Any:
    """Create a staff account in the test's transaction: add_staff(name, *roles); an
    issuer is authorised by the test community."""

    def add(username: str = "checker01", *roles: Role, disabled: bool = False) -> None:
        env: Env = app.state.env
        uow = UnitOfWork(sessions())
        held = [
            (role, f"org:{community}" if role is Role.ISSUER else "venue-1")
            for role in roles or (Role.CHECKPOINT,)
        ]
        summary = accounts.create_staff(
            uow, env, username=username, password=PASSWORD, display_name="张 检查", roles=held
        )
        if Role.ISSUER in roles:
            grant(
                uow,
                env,
                account_id=summary.id,
                organisation_id=community,
                role=Role.ISSUER,
                name="张 检查",
            )
        if disabled:
            row = uow.accounts.by_id(summary.id)
            assert row is not None
            row.disabled_at = env.clock.now()
        uow.commit()
        uow.close()

    return add
