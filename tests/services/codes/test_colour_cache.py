"""The colour cache (issue 14 §1): a write's commit makes every worker's copy old;
a reader that raced the write never stores what it read before the commit."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from healthcode.domain.colour import Colour
from healthcode.domain.state import State
from healthcode.services.codes import colour_cache
from healthcode.services.codes.colour_cache import CachedColour
from healthcode.services.shared.env import Env
from healthcode.services.shared.versioned_cache import LocalCache, RedisCache, Ticket
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.conftest import missing_service
from tests.services.conftest import declare, report

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(params=["local", "redis"])
def caches(request: pytest.FixtureRequest) -> Iterator[tuple[object, object]]:
    """Two workers' caches: the same object in-process, two clients on one Redis."""
    if request.param == "local":
        local = LocalCache()
        yield local, local
        return
    prefix = f"hc:test:{uuid.uuid4().hex}"
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as error:
        missing_service("Redis", f"{REDIS_URL}: {type(error).__name__}")
    first, second = RedisCache(REDIS_URL, prefix), RedisCache(REDIS_URL, prefix)
    yield first, second
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def _on(env: Env, cache: object) -> Env:
    env.cache = cache  # type: ignore[assignment]
    return env


def _state(env: Env) -> State:
    return State(policy="binzhou-code", colour=Colour.GREEN, evaluated_at=env.clock.now())


def _fill(env: Env, resident: uuid.UUID) -> CachedColour:
    ticket = colour_cache.get(env, resident, "binzhou-code")
    assert isinstance(ticket, Ticket)
    value = colour_cache.entry(_state(env), "1")
    colour_cache.put(env, resident, "binzhou-code", value, ticket)
    return value


class TestInvalidation:
    def test_the_other_worker_reads_what_one_stored(
        self, env: Env, caches: tuple[object, object]
    ) -> None:
        resident = uuid.uuid4()
        _fill(_on(env, caches[0]), resident)
        found = colour_cache.get(_on(env, caches[1]), resident, "binzhou-code")
        assert isinstance(found, CachedColour)
        assert found.state.colour is Colour.GREEN

    def test_forget_in_one_worker_is_seen_by_the_other(
        self, env: Env, caches: tuple[object, object]
    ) -> None:
        resident, bystander = uuid.uuid4(), uuid.uuid4()
        _fill(_on(env, caches[0]), resident)
        _fill(env, bystander)
        colour_cache.forget(_on(env, caches[1]), [resident])
        assert isinstance(colour_cache.get(env, resident, "binzhou-code"), Ticket)
        assert isinstance(colour_cache.get(env, bystander, "binzhou-code"), CachedColour)

    def test_forget_all_makes_every_entry_old(
        self, env: Env, caches: tuple[object, object]
    ) -> None:
        residents = [uuid.uuid4() for _ in range(3)]
        for resident in residents:
            _fill(_on(env, caches[0]), resident)
        colour_cache.forget_all(_on(env, caches[1]))
        assert all(isinstance(colour_cache.get(env, r, "binzhou-code"), Ticket) for r in residents)

    def test_a_reader_that_raced_a_write_never_serves_what_it_read(
        self, env: Env, caches: tuple[object, object]
    ) -> None:
        """Reader: ticket, reads the old row; writer commits and forgets; the reader's
        store comes last — and is never served."""
        resident = uuid.uuid4()
        reader, writer = _on(env, caches[0]), caches[1]
        ticket = colour_cache.get(reader, resident, "binzhou-code")
        assert isinstance(ticket, Ticket)
        colour_cache.forget(_on(env, writer), [resident])
        colour_cache.put(
            env, resident, "binzhou-code", colour_cache.entry(_state(env), "1"), ticket
        )
        assert isinstance(colour_cache.get(env, resident, "binzhou-code"), Ticket)


class TestRecolourForgets:
    """recolour() forgets the resident once its unit of work commits, never before."""

    @staticmethod
    def _cached_then_fever(uow: UnitOfWork, env: Env, account: t.Account) -> uuid.UUID:
        """A committed green code in the cache, then a fever reported (not committed)."""
        declare(uow, env, account)
        uow.commit()
        assert account.resident_id is not None
        _fill(env, account.resident_id)
        report(uow, env, account, temperature=38.2)  # fever: yellow
        return account.resident_id

    def test_a_committed_recolour_forgets_the_resident(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        resident = self._cached_then_fever(uow, env, account)
        cached = colour_cache.get(env, resident, "binzhou-code")
        assert isinstance(cached, CachedColour), "forgotten before the commit"
        uow.commit()
        assert isinstance(colour_cache.get(env, resident, "binzhou-code"), Ticket)

    def test_a_rolled_back_recolour_forgets_nothing(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        resident = self._cached_then_fever(uow, env, account)
        uow.rollback()
        uow.commit()
        cached = colour_cache.get(env, resident, "binzhou-code")
        assert isinstance(cached, CachedColour)


class _Unreachable:
    """A worker's cache whose Redis is unreachable while ``down``."""

    def __init__(self, cache: object) -> None:
        self.cache, self.down = cache, False

    def __getattr__(self, name: str) -> object:
        if self.down:
            raise redis.ConnectionError("Connection refused")
        return getattr(self.cache, name)


class TestForgetOwed:
    def test_a_failed_forget_serves_nothing_until_every_entry_is_old(
        self, env: Env, caches: tuple[object, object]
    ) -> None:
        """A fever reported while Redis was unreachable for this worker: it must not
        show the cached green afterwards, nor may any worker once Redis is back."""
        resident, bystander = uuid.uuid4(), uuid.uuid4()
        worker = _Unreachable(caches[0])
        _fill(_on(env, worker), resident)
        _fill(env, bystander)

        worker.down = True
        colour_cache.forget(env, [resident])  # logged, not raised: the commit stands
        assert colour_cache.get(env, resident, "binzhou-code") is None  # read the database
        worker.down = False

        assert isinstance(colour_cache.get(env, resident, "binzhou-code"), Ticket)
        assert isinstance(colour_cache.get(_on(env, caches[1]), resident, "binzhou-code"), Ticket)
        assert isinstance(colour_cache.get(env, bystander, "binzhou-code"), Ticket)

    def test_an_owed_forget_is_paid_within_a_second_without_a_read(
        self, env: Env, uow: UnitOfWork, caches: tuple[object, object]
    ) -> None:
        """The owing worker paid at its next code-page read: the other workers served
        the old copy until then (a worker running jobs might never read one). Its
        follower, once a second, pays it now."""
        from sqlalchemy.orm import sessionmaker

        from healthcode.store.uow import UnitOfWorkFactory

        units = UnitOfWorkFactory(sessionmaker(bind=uow.session.connection()))
        resident = uuid.uuid4()
        worker = _Unreachable(caches[0])
        owing = _on(env, worker)
        _fill(owing, resident)
        seen = colour_cache.follow(units, owing, None)
        worker.down = True
        colour_cache.forget(owing, [resident])
        worker.down = False
        other = Env(**{**vars(env), "cache": caches[1]})
        if caches[0] is not caches[1]:  # on Redis the other worker still had the copy
            assert isinstance(colour_cache.get(other, resident, "binzhou-code"), CachedColour)
        colour_cache.follow(units, owing, seen)  # the follower's round, no read
        assert isinstance(colour_cache.get(other, resident, "binzhou-code"), Ticket)
