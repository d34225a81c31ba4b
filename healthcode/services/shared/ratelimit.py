"""Rate limits with the `limits` library: in-process by default, Redis when several
workers share the load (an in-memory store counts per process).

``RateLimiter`` counts from the services (in the thread pool); ``Budgets`` counts
from the edge's fair-share middleware on the event loop, with the asyncio client, and
a sliding window counter (two counters per key: one round trip to Redis per limit)."""

from __future__ import annotations

import time
from typing import ClassVar

from limits import RateLimitItem, parse, parse_many
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from healthcode.domain.errors import DomainError


class TooManyRequests(DomainError):
    status: ClassVar[int] = 429
    code: ClassVar[str] = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, **params: object) -> None:
        super().__init__(message, retry_after=retry_after, **params)
        self.retry_after = retry_after


class RateLimiter:
    def __init__(self, storage_url: str = "memory://", *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_url))
        self._items: dict[str, RateLimitItem] = {}

    def hit(self, limit: str, *keys: str) -> int | None:
        """Count one hit; None if allowed, else the seconds until the next is allowed."""
        if not self.enabled:
            return None
        item = self._items.get(limit) or self._items.setdefault(limit, parse(limit))
        if self._limiter.hit(item, *keys):
            return None
        reset = self._limiter.get_window_stats(item, *keys).reset_time
        return max(1, int(reset - time.time()))

    def clear(self, limit: str, *keys: str) -> None:
        item = self._items.get(limit) or parse(limit)
        self._limiter.clear(item, *keys)


class Budgets:
    """Request budgets for the edge: ``limits`` such as ``"60/minute;10/second"``,
    each counted per key (a session's or an address's). Across workers with Redis."""

    def __init__(self, storage_url: str = "", *, enabled: bool = True, prefix: str = "hc") -> None:
        self.enabled = enabled
        if storage_url:
            url = "async+" + storage_url.removeprefix("async+")
            storage = storage_from_string(url, implementation="redispy", key_prefix=prefix)
        else:
            storage = storage_from_string("async+memory://")
        self._limiter = SlidingWindowCounterRateLimiter(storage)
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
        for item in self.items(limits):
            if not await self._limiter.hit(item, *keys):
                stats = await self._limiter.get_window_stats(item, *keys)
                return max(1, int(stats.reset_time - time.time() + 0.999))
        return None
