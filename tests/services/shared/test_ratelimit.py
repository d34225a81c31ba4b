"""A hit taken back (``RateLimiter.release``), in memory and in Redis: ``limits`` has
no call for it, so these tests pin the two stores' layout that it relies on."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest

from healthcode.services.shared.ratelimit import RateLimiter
from tests.conftest import reachable_redis

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(params=["memory", "redis"])
def limiter(request: pytest.FixtureRequest) -> Iterator[RateLimiter]:
    if request.param == "memory":
        yield RateLimiter()
        return
    yield RateLimiter(reachable_redis(REDIS_URL))


def test_a_hit_taken_back_is_room_again(limiter: RateLimiter) -> None:
    key = uuid.uuid4().hex
    assert [limiter.hit("3/minute", "t", key) for _ in range(3)] == [None] * 3
    assert limiter.hit("3/minute", "t", key) is not None
    limiter.release("3/minute", "t", key)
    assert limiter.hit("3/minute", "t", key) is None  # room for exactly one
    assert limiter.hit("3/minute", "t", key) is not None
    assert limiter.hit("3/minute", "t", "another") is None


def test_taking_back_what_was_never_hit_gives_no_credit(limiter: RateLimiter) -> None:
    key = uuid.uuid4().hex
    for _ in range(3):
        limiter.release("2/minute", "t", key)
    assert [limiter.hit("2/minute", "t", key) for _ in range(3)][2] is not None


def test_hits_and_releases_at_once_keep_the_count(limiter: RateLimiter) -> None:
    """Forty callers each hit then give back, at once: all the room is there after."""
    key, start = uuid.uuid4().hex, threading.Barrier(40)
    refused: list[int] = []

    def one() -> None:
        start.wait()
        if (retry := limiter.hit("40/minute", "t", key)) is not None:
            refused.append(retry)
            return
        limiter.release("40/minute", "t", key)

    threads = [threading.Thread(target=one) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert refused == []
    assert [limiter.hit("40/minute", "t", key) for _ in range(40)] == [None] * 40
    assert limiter.hit("40/minute", "t", key) is not None
