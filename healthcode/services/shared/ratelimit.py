"""Rate limits with the `limits` library: in-process by default, Redis when several
workers share the load (an in-memory store counts per process)."""

from __future__ import annotations

import time
from typing import ClassVar

from limits import RateLimitItem, parse
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
