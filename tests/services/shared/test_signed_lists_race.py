"""Two servers changing a signed list at once on PostgreSQL: the head row's lock gives
every change its own version, and a delta carries exactly it."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import sessionmaker

from healthcode.domain.tokens.lists import ListKind
from healthcode.services.shared.env import Env
from healthcode.services.shared.keys import ensure_signing_key, rotate_keys
from healthcode.services.shared.lists import ensure_list_key, publish_trust_list, revoke_token
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory


@pytest.fixture
def committing(postgresql_engine: Engine, env: Env) -> Iterator[UnitOfWorkFactory]:
    factory = sessionmaker(postgresql_engine, expire_on_commit=False)
    units = UnitOfWorkFactory(factory)
    with units() as uow:
        ensure_signing_key(uow, env.protector, now=env.clock.now())
        ensure_list_key(uow, env.protector, now=env.clock.now())
    yield units
    with factory.begin() as session:
        for table in (t.ListEntry, t.ListHead, t.ListSigningKey, t.SigningKey, t.Revocation):
            session.execute(delete(table))


def _at_once(units: UnitOfWorkFactory, actions: list[Callable[[UnitOfWork], object]]) -> None:
    start = threading.Barrier(len(actions))
    failures: list[BaseException] = []

    def run(action: Callable[[UnitOfWork], object]) -> None:
        start.wait()
        try:
            with units() as uow:
                action(uow)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []


def test_two_revocations_at_once_get_their_own_versions(
    committing: UnitOfWorkFactory, env: Env
) -> None:
    tokens = [secrets.token_bytes(16) for _ in range(2)]
    now = env.clock.now()
    with committing() as uow:  # other tests on this database may have revoked before
        head = uow.signed_lists.head(ListKind.REVOCATIONS)
        before = 1 if head is None else head.version  # 1 is the empty list

    def revoking(token: bytes) -> Callable[[UnitOfWork], object]:
        return lambda uow: revoke_token(uow, token_id=token, reason="x", now=now)

    _at_once(committing, [revoking(token) for token in tokens])
    with committing() as uow:
        rows = uow.signed_lists.entries(ListKind.REVOCATIONS, since=before)
        assert sorted(r.version for r in rows) == [before + 1, before + 2]
        assert {r.item for r in rows} == {token.hex() for token in tokens}


def test_two_publishers_after_one_rotation_make_one_version(
    committing: UnitOfWorkFactory, env: Env
) -> None:
    now = env.clock.now()
    with committing() as uow:
        before = publish_trust_list(uow, env.protector, env.settings, now=now)
        rotate_keys(uow, env.protector, env.keys, now=now, publish_ahead=timedelta(hours=48))
    _at_once(
        committing,
        [lambda uow: publish_trust_list(uow, env.protector, env.settings, now=now)] * 2,
    )
    with committing() as uow:
        head = uow.signed_lists.head(ListKind.TRUST)
        assert head is not None
        assert head.version == before + 1
        changed = uow.signed_lists.entries(ListKind.TRUST, since=before)
        assert len(changed) == 2  # the new key, and the old one's end
