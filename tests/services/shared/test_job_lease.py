"""One run of a job at a time, also within one process (the scheduler's thread and a
command, or two overlapping ticks): the lease is held by the run, not the process."""

from __future__ import annotations

import pytest
from sqlalchemy import select
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
        inner.append(if_leader(units, env, "job", lambda: "second ran"))
        return "first ran"

    assert if_leader(units, env, "job", first) == "first ran"
    assert inner == [None]


def test_the_lease_is_given_up_after_the_run_and_the_next_run_takes_it(
    units: UnitOfWorkFactory, env: Env
) -> None:
    assert if_leader(units, env, "job", lambda: 1) == 1
    with units() as uow:
        assert uow.session.scalars(select(t.Lease)).all() == []
    assert if_leader(units, env, "job", lambda: 2) == 2
