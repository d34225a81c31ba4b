"""Redis down or hung never fails a request nor holds it: rate limits count in this
process meanwhile, the colour cache reads the database, and after one failure the
next requests do not wait on Redis again for a while (services/shared/breaker.py)."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
from limits.errors import StorageError
from redis.exceptions import MaxConnectionsError

from healthcode.services.codes import colour_cache
from healthcode.services.shared.env import Env
from healthcode.services.shared.ratelimit import Budgets, RateLimiter
from healthcode.services.shared.versioned_cache import RedisCache
from tests.factories.loops import run_alone

REFUSED = "redis://127.0.0.1:1/0"  # nothing listens: refused at once
TIMEOUT = 0.3
T = TypeVar("T")


@pytest.fixture
def hung() -> Iterator[str]:
    """A Redis that accepts connections and never answers (stuck on a slow disk)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()
    for connection in held:
        connection.close()


def timed(work: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    done = work()
    return done, time.perf_counter() - started


@pytest.mark.parametrize("where", ["refused", "hung"])
def test_a_limit_is_counted_in_this_process_while_redis_is_away(where: str, hung: str) -> None:
    limiter = RateLimiter(REFUSED if where == "refused" else hung, timeout=TIMEOUT)
    first, seconds = timed(lambda: [limiter.hit("2/minute", "otp", "139") for _ in range(2)])
    assert first == [None, None]
    assert seconds < 3 * TIMEOUT  # one wait at most, then the breaker
    third, seconds = timed(lambda: limiter.hit("2/minute", "otp", "139"))
    assert third is not None  # the limit still holds: seconds to wait
    assert third > 0
    assert seconds < TIMEOUT


def test_a_limit_is_asked_without_counting() -> None:
    """``test`` answers as ``hit`` would, counting nothing (a limit of failures)."""
    limiter = RateLimiter()
    assert [limiter.test("2/minute", "staff", "10.0.0.9") for _ in range(5)] == [None] * 5
    limiter.hit("2/minute", "staff", "10.0.0.9")
    limiter.hit("2/minute", "staff", "10.0.0.9")
    refused = limiter.test("2/minute", "staff", "10.0.0.9")
    assert refused is not None
    assert refused > 0
    assert limiter.test("2/minute", "staff", "10.0.0.10") is None


@pytest.mark.parametrize("where", ["refused", "hung"])
def test_a_limit_is_asked_in_this_process_while_redis_is_away(where: str, hung: str) -> None:
    limiter = RateLimiter(REFUSED if where == "refused" else hung, timeout=TIMEOUT)
    assert limiter.test("1/minute", "staff", "10.0.0.9") is None
    limiter.hit("1/minute", "staff", "10.0.0.9")
    assert limiter.test("1/minute", "staff", "10.0.0.9") is not None


@pytest.mark.parametrize("where", ["refused", "hung"])
def test_the_edges_budgets_count_in_this_process_while_redis_is_away(where: str, hung: str) -> None:
    budgets = Budgets(REFUSED if where == "refused" else hung, timeout=TIMEOUT)

    async def hits() -> list[int | None]:
        return [await budgets.hit("2/minute", "code", "session") for _ in range(3)]

    answers, seconds = timed(lambda: run_alone(hits()))
    assert answers[:2] == [None, None]
    assert isinstance(answers[2], int)
    assert seconds < 3 * TIMEOUT


def test_the_colour_cache_reads_the_database_when_redis_hangs(env: Env, hung: str) -> None:
    env.cache = RedisCache(hung, timeout=TIMEOUT)
    resident = uuid.uuid4()
    found, seconds = timed(lambda: colour_cache.get(env, resident, "binzhou-code"))
    assert found is None  # the caller reads the database
    assert seconds < 3 * TIMEOUT
    again, seconds = timed(lambda: colour_cache.get(env, resident, "binzhou-code"))
    assert again is None
    assert seconds < TIMEOUT / 3  # not asked again yet


def test_a_worker_out_of_pooled_connections_asks_redis_again_next_time() -> None:
    """Under a surge's burst this worker's own pool ran out while Redis answered; the
    budgets then counted per worker for five seconds (twice the budget with two)."""
    budgets = Budgets()  # in memory: the stub below stands for Redis
    shared = budgets._local
    asked: list[str] = []

    class Exhausted:
        async def hit(self, *_args: object) -> bool:
            asked.append("hit")
            if len(asked) == 1:
                raise StorageError(MaxConnectionsError("Too many connections"))
            return await shared.hit(*_args)  # type: ignore[arg-type]

        async def get_window_stats(self, *args: object) -> object:
            return await shared.get_window_stats(*args)  # type: ignore[arg-type]

    budgets._limiter = Exhausted()  # type: ignore[assignment]

    async def hits() -> list[int | None]:
        return [await budgets.hit("5/minute", "code", "session") for _ in range(3)]

    assert run_alone(hits()) == [None, None, None]  # the first counted here, once
    assert asked == ["hit", "hit", "hit"]  # and Redis asked again at once, not after 5 s
