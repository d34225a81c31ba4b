"""Accounts tests share a sender that keeps what it texts, and a fast argon2."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from healthcode.config import Settings
from healthcode.domain.clock import FixedClock
from healthcode.services.shared.env import Env, make_env
from healthcode.store import tables as t
from tests.services.accounts.helpers import PHONE, Sender


@pytest.fixture
def sender() -> Sender:
    return Sender()


@pytest.fixture
def env(clock: FixedClock, sender: Sender) -> Env:
    settings = Settings(
        secret_key="test-secret-key-not-for-production",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        scheduler=False,
    )
    return make_env(settings, clock, sender)


@pytest.fixture
def real_sessions(engine: Engine, env: Env) -> Iterator[sessionmaker[Session]]:
    """Sessions on their own connections that really commit, for races; the rows the
    test leaves behind are deleted afterwards."""
    factory = sessionmaker(engine, expire_on_commit=False)
    yield factory
    phone_hash = env.protector.keyed_hash(PHONE, kind="phone")
    with factory.begin() as session:
        session.execute(delete(t.OtpChallenge).where(t.OtpChallenge.phone_hash == phone_hash))
        session.execute(delete(t.Account).where(t.Account.phone_hash == phone_hash))
