"""One run of a job at a time, also within one process (the scheduler's thread and a
command, or two overlapping ticks): the lease is held by the run, not the process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.jobs.lease import if_leader
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWorkFactory


@pytest.fixture
def units(sessions: sessionmaker[Session]) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(sessions)


def test_a_second_run_in_the_same_process_is_skipped_while_the_first_holds_the_lease(
    units: UnitOfWorkFactory, env: Env
) -> None:
    inner: list[str | None] = []

    def first() -> str:
        inner.append(if_leader(units, "job", lambda: "second ran"))
        return "first ran"

    assert if_leader(units, "job", first) == "first ran"
    assert inner == [None]


def test_the_lease_is_given_up_after_the_run_and_the_next_run_takes_it(
    units: UnitOfWorkFactory, env: Env
) -> None:
    assert if_leader(units, "job", lambda: 1) == 1
    with units() as uow:
        assert uow.session.scalars(select(t.Lease)).all() == []
    assert if_leader(units, "job", lambda: 2) == 2


@pytest.fixture
def committing(postgresql_engine: Engine) -> Iterator[UnitOfWorkFactory]:
    """Units on their own connections (the lease's keeper runs in a thread of its own)."""
    factory = sessionmaker(postgresql_engine, expire_on_commit=False)
    yield UnitOfWorkFactory(factory)
    with factory.begin() as session:
        session.execute(delete(t.Lease))


def test_a_run_longer_than_its_lease_keeps_it(committing: UnitOfWorkFactory) -> None:
    """Renewed while the run lasts: another node does not start the job again when a
    run outlives the lease it took."""
    lease = timedelta(seconds=1.5)

    def expires() -> datetime:
        with committing() as uow:
            return uow.session.scalars(select(t.Lease.expires_at).filter_by(name="long")).one()

    def long_run() -> str | None:
        taken = expires()
        deadline = time.monotonic() + 10
        while expires() <= taken and time.monotonic() < deadline:  # renewed once at least
            time.sleep(0.05)
        while datetime.now(UTC) <= taken + timedelta(seconds=0.2):  # past the lease as taken
            time.sleep(0.05)
        return if_leader(committing, "long", lambda: "ran twice", lease=lease)

    assert if_leader(committing, "long", long_run, lease=lease) is None


def test_the_lease_runs_on_the_wall_clock(committing: UnitOfWorkFactory) -> None:
    """Not on the job's clock: a rollover replayed ``--at`` a past instant still holds
    its lease against the other nodes."""

    def replay() -> datetime:
        with committing() as uow:
            return uow.session.scalars(select(t.Lease.expires_at).filter_by(name="replay")).one()

    held = if_leader(committing, "replay", replay)
    assert held is not None
    assert held > datetime.now(UTC)
