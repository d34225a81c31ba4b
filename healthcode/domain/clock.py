"""Time: one injectable clock, and calendar days in Asia/Shanghai.

The seeds count "days" as calendar days where the resident lives, so every rule
that speaks of days converts instants to Asia/Shanghai dates through ``day_of``.
All instants in the system are timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

TZ: tzinfo = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to: for tests, demos and `--at` replays."""

    def __init__(self, at: datetime) -> None:
        self._at = aware(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = aware(at)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


def aware(at: datetime) -> datetime:
    """Reject naive datetimes rather than guess their zone."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: give a timezone")
    return at


@lru_cache(maxsize=1 << 16)  # the engine asks for the day of the same instants often
def day_of(at: datetime) -> date:
    """The Asia/Shanghai calendar day an instant falls on."""
    return aware(at).astimezone(TZ).date()


def start_of(day: date) -> datetime:
    """Midnight at the start of a Shanghai calendar day."""
    return datetime.combine(day, time(), TZ)


def local(at: datetime) -> datetime:
    return aware(at).astimezone(TZ)
