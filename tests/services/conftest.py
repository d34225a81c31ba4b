"""Services run against both databases with a fixed clock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from healthcode.config import Settings
from healthcode.domain.clock import FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.state import State
from healthcode.services.residents.daily_reports import submit_daily_report
from healthcode.services.residents.declarations import confirm_declaration, submit_declaration
from healthcode.services.shared.env import Env, make_env
from healthcode.services.shared.keys import ensure_signing_key
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import daily_report, declaration
from tests.factories.organisations import organisation, sign_as_issuer


@pytest.fixture
def env(clock: FixedClock) -> Env:
    settings = Settings(
        secret_key="test-secret-key", argon2_time_cost=1, argon2_memory_kib=1024, scheduler=False
    )
    return make_env(settings, clock)


@pytest.fixture
def signing_key(uow: UnitOfWork, env: Env) -> None:
    ensure_signing_key(uow, env.protector, now=env.clock.now())


@pytest.fixture
def community(uow: UnitOfWork, env: Env) -> t.Organisation:
    """A community of the tests' county (371602), active, with no one in it yet."""
    return organisation(uow, env, name="黄河五路社区居民委员会")


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


def declare(
    uow: UnitOfWork, env: Env, account: t.Account, policy: str = "binzhou-code", **fields: object
) -> State:
    """Submit with the pledge and confirm at once: the resident's new state."""
    row = submit_declaration(
        uow, env, account_id=account.id, data=declaration(policy, **fields)
    ).declaration
    return confirm_declaration(uow, env, account_id=account.id, declaration_id=row.id)


def report(
    uow: UnitOfWork, env: Env, account: t.Account, policy: str = "binzhou-code", **fields: object
) -> State:
    return submit_daily_report(
        uow, env, resident_id=account.resident_id, policy_id=policy, data=daily_report(**fields)
    )


def signed_pass(uow: UnitOfWork, env: Env, account: t.Account) -> State:
    state = declare(uow, env, account, "shandong-pass")
    assert state.application_id
    return sign_as_issuer(uow, env, uuid.UUID(state.application_id), Colour.GREEN)


@contextmanager
def statements(uow: UnitOfWork) -> Iterator[list[str]]:
    """The statements a block sends on the unit's connection (its round trips)."""
    sent: list[str] = []
    connection = uow.session.connection()

    def before(*args: object) -> None:
        sent.append(str(args[2]))

    event.listen(connection, "before_cursor_execute", before)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", before)
