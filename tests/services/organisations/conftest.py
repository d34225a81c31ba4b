"""Fixtures for the organisations' services."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from healthcode.services.accounts.permissions import Principal
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories.roster import employer_admin


@pytest.fixture
def committed(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions that really commit, on their own connections, for races; whatever the
    test creates is deleted afterwards (residents cascade to their facts and codes)."""
    factory = sessionmaker(engine, expire_on_commit=False)
    yield factory
    with factory.begin() as session:
        session.execute(delete(t.AuditEvent))
        session.execute(delete(t.ColourOverride))
        session.execute(delete(t.PreventionNotice))
        session.execute(delete(t.Resident))
        session.execute(delete(t.Account))
        session.execute(delete(t.Organisation))


@pytest.fixture
def racing(committed: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    """Committing sessions; the check-ins go first (they name the staff who typed them)."""
    yield committed
    with committed.begin() as session:
        session.execute(delete(t.Checkin))
        session.execute(delete(t.Notification))


def race(
    units: UnitOfWorkFactory,
    first: Callable[[UnitOfWork], object],
    second: Callable[[UnitOfWork], object],
    refused: type[Exception],
) -> list[object]:
    """`first` runs and holds its locks while `second` starts in another thread, which
    must wait for them; then `first` commits. What `second` got: a result or `refused`."""
    outcome: list[object] = []

    def other() -> None:
        with units() as uow:
            try:
                outcome.append(second(uow))
            except refused as error:
                outcome.append(error)

    with units() as uow:
        first(uow)
        racer = threading.Thread(target=other)
        racer.start()
        time.sleep(0.3)
        assert racer.is_alive(), "the second caller should wait for the first one's lock"
    racer.join(timeout=30)
    return outcome


@pytest.fixture
def org_admin(uow: UnitOfWork, env: Env, community: t.Organisation) -> Principal:
    """The community's own administrator."""
    return employer_admin(uow, env, community.id)
