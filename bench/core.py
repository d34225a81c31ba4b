"""The benchmark framework: results, the timing helper, and one-core pinning.

Absolute rates on a shared, noisy machine mean little; a ratio to a baseline
measured in the same run, interleaved round by round, means a lot. ``rates``
times every candidate for ``seconds`` per round, rotating their order, and keeps
each one's best round: noise only ever slows a round down.
"""

from __future__ import annotations

import gc
import itertools
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

BATCH_SECONDS = 0.01  # one timed batch: long enough that the clock's cost vanishes


@dataclass(frozen=True)
class Result:
    """One measurement. ``target`` is the minimum acceptable ``value / baseline``;
    ``at_most`` the maximum acceptable value (for counts where lower is better)."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    target: float | None = None
    at_most: float | None = None

    @property
    def ratio(self) -> float | None:
        return None if not self.baseline else self.value / self.baseline

    @property
    def passed(self) -> bool:
        if self.at_most is not None and self.value > self.at_most:
            return False
        return self.target is None or (self.ratio is not None and self.ratio >= self.target)

    def to_json(self) -> dict[str, float | str | None]:
        return {
            "value": self.value,
            "unit": self.unit,
            "baseline": self.baseline,
            "ratio": self.ratio,
            "target": self.target,
            "at_most": self.at_most,
        }


@dataclass(frozen=True)
class Settings:
    seconds: float = 0.5  # per candidate per round
    rounds: int = 5
    warmup: float = 0.2  # per candidate, before the first round


@dataclass(frozen=True)
class Benchmark:
    """A named group of measurements; ``run`` returns its results."""

    name: str
    description: str
    run: Callable[[Settings], list[Result]]


def rates(candidates: Mapping[str, Callable[[], object]], settings: Settings) -> dict[str, float]:
    """Calls per second of each candidate: the best of ``settings.rounds`` rounds,
    the candidates interleaved within each round in a rotating order."""
    names = list(candidates)
    batches = {name: _calibrate(candidates[name], settings.warmup) for name in names}
    best = dict.fromkeys(names, 0.0)
    with _gc_paused():
        for round_number in range(settings.rounds):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                rate = _rate(candidates[name], batches[name], settings.seconds)
                best[name] = max(best[name], rate)
    return best


def _calibrate(call: Callable[[], object], warmup: float) -> int:
    """Warm ``call`` up for ``warmup`` seconds; return a batch size of ~10 ms."""
    batch, spent, deadline = 1, 0.0, time.perf_counter() + warmup
    while True:
        start = time.perf_counter()
        for _ in itertools.repeat(None, batch):
            call()
        spent = time.perf_counter() - start
        if spent >= BATCH_SECONDS and time.perf_counter() >= deadline:
            return max(1, round(batch * BATCH_SECONDS / spent))
        if spent < BATCH_SECONDS:
            batch *= 2


def _rate(call: Callable[[], object], batch: int, seconds: float) -> float:
    calls = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in itertools.repeat(None, batch):
            call()
        calls += batch
        now = time.perf_counter()
        if now >= deadline:
            return calls / (now - start)


@contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def one_core() -> Iterator[int | None]:
    """Pin this process to the core it is on (Linux), so every rate is one core's;
    yields the core number, or None where pinning is not available."""
    if not hasattr(os, "sched_setaffinity") or not hasattr(os, "sched_getaffinity"):
        yield None
        return
    allowed = os.sched_getaffinity(0)
    core = _current_core(allowed)
    os.sched_setaffinity(0, {core})
    try:
        yield core
    finally:
        os.sched_setaffinity(0, allowed)


def _current_core(allowed: set[int]) -> int:
    try:
        with open(f"/proc/{os.getpid()}/stat", encoding="ascii") as stat:
            core = int(stat.read().rsplit(")", 1)[1].split()[36])
    except (OSError, ValueError, IndexError):
        return min(allowed)
    return core if core in allowed else min(allowed)
