"""A UnitOfWorkFactory stand-in that hands out the test's own unit of work, so code
that opens its own transactions (jobs, the demo loader) runs inside the test's
rolled-back transaction."""

from __future__ import annotations

from healthcode.store.uow import UnitOfWork


class SameUnit:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def __call__(self) -> SameUnit:
        return self

    def __enter__(self) -> UnitOfWork:
        return self.uow

    def __exit__(self, *exc: object) -> None:
        self.uow.flush()
