"""Services run against both databases with a fixed clock."""

from __future__ import annotations

import uuid

import pytest

from healthcode.config import Settings
from healthcode.domain.clock import FixedClock
from healthcode.services.env import Env, make_env
from healthcode.services.keys import ensure_signing_key
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork


@pytest.fixture
def env(clock: FixedClock) -> Env:
    settings = Settings(
        secret_key="test-secret-key", argon2_time_cost=1, argon2_memory_kib=1024, scheduler=False
    )
    return make_env(settings, clock)


@pytest.fixture
def signing_key(uow: UnitOfWork, env: Env) -> None:
    ensure_signing_key(uow, env.protector, now=env.clock.now())


def new_account(uow: UnitOfWork, env: Env, phone: str) -> t.Account:
    account = t.Account(
        id=uuid.uuid4(),
        kind="resident",
        phone_hash=env.protector.keyed_hash(phone, kind="phone"),
        phone_cipher=env.protector.encrypt(phone.encode(), context="phone"),
        phone_masked=phone[:3] + "****" + phone[-4:],
        created_at=env.clock.now(),
    )
    uow.add(account)
    uow.flush()
    return account


@pytest.fixture
def account(uow: UnitOfWork, env: Env) -> t.Account:
    return new_account(uow, env, "13800001111")
