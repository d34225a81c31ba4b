"""A pause after a shared store failed: the next requests do not each wait out the
same timeout (a hung Redis would add its timeout to every request) but go to the
fallback at once, and try the store again after ``pause`` seconds."""

from __future__ import annotations

import time


class Breaker:
    def __init__(self, pause: float = 5.0) -> None:
        self.pause = pause
        self._until = 0.0

    @property
    def open(self) -> bool:
        """The store failed less than ``pause`` seconds ago: do not ask it."""
        return time.monotonic() < self._until

    def trip(self) -> None:
        self._until = time.monotonic() + self.pause
