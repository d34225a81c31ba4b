"""Rate limits with the `limits` library: in-process by default, Redis when several
workers share the load (an in-memory store counts per process).

``RateLimiter`` counts from the services (in the thread pool); ``Budgets`` counts
from the edge's fair-share middleware on the event loop, with the asyncio client, and
a sliding window counter (two counters per key: one round trip to Redis per limit).

Redis down, or not answering within ``timeout`` seconds, never fails a request nor
holds it: both count in this process meanwhile (a limit then holds per worker, not
across them), log ``ratelimit.unavailable``, and ask Redis again five seconds later
(``breaker.py``). Until stop 24 every costly request
failed with a 500 while Redis was unreachable, and waited without bound on a hung one."""

from __future__ import annotations

import time
from typing import Any, ClassVar, cast

import structlog
from limits import RateLimitItem, parse, parse_many
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from redis import Redis
from redis.exceptions import MaxConnectionsError

from healthcode.domain.errors import DomainError
from healthcode.services.shared.breaker import Breaker


class TooManyRequests(DomainError):
    status: ClassVar[int] = 429
    code: ClassVar[str] = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, **params: object) -> None:
        super().__init__(message, retry_after=retry_after, **params)
        self.retry_after = retry_after


log = structlog.get_logger()


def _options(storage_url: str, timeout: float) -> dict[str, Any]:
    """A Redis store's options: errors as ``StorageError``, and a bound on each wait."""
    if "redis" not in storage_url.split("://", 1)[0]:
        return {}
    return {"wrap_exceptions": True, "socket_timeout": timeout, "socket_connect_timeout": timeout}


def _unavailable(breaker: Breaker, error: StorageError) -> None:
    """Redis failed: count in this process for the breaker's pause. Not when only this
    worker's own pool of connections to it was used up (a surge's burst): Redis is
    there, and five seconds of counting per worker would give every client as many
    times its budget as there are workers, just when budgets matter most. That one
    request is counted here; the next asks Redis again."""
    if isinstance(error.storage_error, MaxConnectionsError):
        log.info("ratelimit.pool_exhausted")
        return
    log.warning("ratelimit.unavailable", error=repr(error.storage_error))
    breaker.trip()


class RateLimiter:
    def __init__(
        self, storage_url: str = "memory://", *, enabled: bool = True, timeout: float = 0.5
    ) -> None:
        self.enabled = enabled
        shared = storage_from_string(storage_url, **_options(storage_url, timeout))
        self._limiter = MovingWindowRateLimiter(shared)
        self._local = MovingWindowRateLimiter(storage_from_string("memory://"))
        self._breaker = Breaker()
        self._items: dict[str, RateLimitItem] = {}

    def hit(self, limit: str, *keys: str) -> int | None:
        """Count one hit; None if allowed, else the seconds until the next is allowed."""
        if not self.enabled:
            return None
        item = self._items.get(limit) or self._items.setdefault(limit, parse(limit))
        if not self._breaker.open:
            try:
                return self._hit(self._limiter, item, keys)
            except StorageError as error:
                _unavailable(self._breaker, error)
        return self._hit(self._local, item, keys)

    def test(self, limit: str, *keys: str) -> int | None:
        """Whether one more hit would be allowed, counting nothing: None if so, else the
        seconds until it is. Only a cheap refusal before costlier work: requests at
        once all pass it, so what keeps a burst to the limit is the atomic ``hit``
        (taken last, or taken first and ``release``d)."""
        if not self.enabled:
            return None
        item = self._items.get(limit) or self._items.setdefault(limit, parse(limit))
        if not self._breaker.open:
            try:
                return self._hit(self._limiter, item, keys, count=False)
            except StorageError as error:
                _unavailable(self._breaker, error)
        return self._hit(self._local, item, keys, count=False)

    @staticmethod
    def _hit(
        limiter: MovingWindowRateLimiter,
        item: RateLimitItem,
        keys: tuple[str, ...],
        *,
        count: bool = True,
    ) -> int | None:
        if (limiter.hit if count else limiter.test)(item, *keys):
            return None
        reset = limiter.get_window_stats(item, *keys).reset_time
        return max(1, int(reset - time.time()))

    def release(self, limit: str, *keys: str) -> None:
        """Take back one ``hit``: a limit of failures is hit *before* the attempt, so a
        burst stops at the limit (each hit is atomic), and given back when the attempt
        did not fail. The newest hit goes, whoever's it was: the window may then end a
        request's length sooner; the count is what matters."""
        if not self.enabled:
            return
        key = (self._items.get(limit) or parse(limit)).key_for(*keys)
        if self._breaker.open:
            _take_back(self._local.storage, key)
            return
        try:
            _take_back(self._limiter.storage, key)
        except StorageError as error:  # it stays counted there: one too many, never too few
            _unavailable(self._breaker, error)

    def clear(self, limit: str, *keys: str) -> None:
        item = self._items.get(limit) or parse(limit)
        self._local.clear(item, *keys)
        try:
            self._limiter.clear(item, *keys)
        except StorageError as error:
            _unavailable(self._breaker, error)


def _take_back(storage: Storage, key: str) -> None:
    """Remove the newest entry of a moving window. ``limits`` has no call for it (as
    of 5.8: a moving window's store offers only ``acquire_entry`` and
    ``get_moving_window``, and a negative ``cost`` adds nothing), so this reads its
    two stores' layout (pinned by ``tests/services/shared``'s tests):
    in memory a list per key, newest first, under the key's lock; in Redis a list,
    newest at the head, where one LPOP is atomic."""
    if isinstance(storage, MemoryStorage):
        with storage.locks[key]:
            if events := storage.events.get(key):
                del events[0]
    elif isinstance(storage, RedisStorage):
        try:
            cast(Redis, storage.get_connection()).lpop(storage.prefixed_key(key))
        except storage.base_exceptions as error:
            raise StorageError(error) from error
    else:  # a store the settings never name: fail loudly in the tests, not in silence
        raise TypeError(f"cannot take a hit back from {type(storage).__name__}")


class Budgets:
    """Request budgets for the edge: ``limits`` such as ``"60/minute;10/second"``,
    each counted per key (a session's or an address's). Across workers with Redis."""

    def __init__(
        self,
        storage_url: str = "",
        *,
        enabled: bool = True,
        prefix: str = "hc",
        timeout: float = 0.5,
    ) -> None:
        self.enabled = enabled
        self._local = SlidingWindowCounterRateLimiter(storage_from_string("async+memory://"))
        self._breaker = Breaker()
        if storage_url:
            url = "async+" + storage_url.removeprefix("async+")
            options = _options(storage_url, timeout)
            storage = storage_from_string(
                url, implementation="redispy", key_prefix=prefix, **options
            )
            self._limiter = SlidingWindowCounterRateLimiter(storage)
        else:
            self._limiter = self._local
        self._items: dict[str, tuple[RateLimitItem, ...]] = {}

    def items(self, limits: str) -> tuple[RateLimitItem, ...]:
        found = self._items.get(limits)
        if found is None:
            found = self._items.setdefault(limits, tuple(parse_many(limits)))
        return found

    async def hit(self, limits: str, *keys: str) -> int | None:
        """Count one request against every limit; None if all allow it, else the
        seconds until the most constraining one would."""
        if not self.enabled:
            return None
        if not self._breaker.open:
            try:
                return await self._hit(self._limiter, limits, keys)
            except StorageError as error:
                _unavailable(self._breaker, error)
        return await self._hit(self._local, limits, keys)

    async def _hit(
        self, limiter: SlidingWindowCounterRateLimiter, limits: str, keys: tuple[str, ...]
    ) -> int | None:
        for item in self.items(limits):
            if not await limiter.hit(item, *keys):
                stats = await limiter.get_window_stats(item, *keys)
                return max(1, int(stats.reset_time - time.time() + 0.999))
        return None
