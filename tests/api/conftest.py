"""An app per test, on the test's database transaction and a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.api.app import create_app
from healthcode.config import Settings
from healthcode.domain.clock import FixedClock


class CapturingSender:
    """Keeps the one-time codes the app would have sent by SMS."""

    def __init__(self) -> None:
        self.sent: dict[str, str] = {}

    def send(self, phone: str, code: str) -> None:
        self.sent[phone] = code


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
