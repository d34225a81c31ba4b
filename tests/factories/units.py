"""Units of work for tests: a UnitOfWorkFactory stand-in that hands out the test's
own unit of work, so code that opens its own transactions (jobs, the demo loader)
runs inside the test's rolled-back transaction; and callers raced in real ones."""

from __future__ import annotations

import threading
from collections.abc import Callable

from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory


class SameUnit:
    own_connections = False  # one connection: no second thread may use it at once

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def __call__(self) -> SameUnit:
        return self

    def __enter__(self) -> UnitOfWork:
        return self.uow

    def __exit__(self, *exc: object) -> None:
        self.uow.flush()


def race(units: UnitOfWorkFactory, callers: list[Callable[[UnitOfWork], object]]) -> list[object]:
    """Run each caller in its own thread and transaction, all starting together."""
    start = threading.Barrier(len(callers))
    outcomes: list[object] = [None] * len(callers)

    def run(index: int) -> None:
        start.wait()
        try:
            with units() as uow:
                outcomes[index] = callers[index](uow)
        except Exception as error:
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(callers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
