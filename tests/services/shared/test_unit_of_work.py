"""The unit of work's one commit-or-keep rule: a refusal undoes its changes unless it
must keep its bookkeeping (``DomainError.keeps_changes``)."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.errors import Conflict, DomainError
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory

AT = datetime(2020, 2, 23, tzinfo=UTC)


class Counted(Conflict):
    keeps_changes = True


def lease(uow: UnitOfWork, name: str) -> None:
    uow.add(t.Lease(name=name, holder="test", expires_at=AT))
    uow.flush()


def kept(sessions: sessionmaker[Session], name: str) -> bool:
    with sessions() as session:
        return session.get(t.Lease, name) is not None


@pytest.mark.parametrize(
    ("error", "stays"),
    [(Conflict("refused"), False), (Counted("a wrong code, counted"), True)],
)
def test_a_refusal_keeps_only_what_it_must(
    sessions: sessionmaker[Session], error: DomainError, stays: bool
) -> None:
    uow = UnitOfWork(sessions())
    lease(uow, "refusal")
    uow.refused(error, commit=True)
    uow.close()
    assert kept(sessions, "refusal") is stays


@pytest.mark.parametrize(
    ("error", "stays"),
    [(None, True), (Conflict("refused"), False), (Counted("counted"), True)],
)
def test_the_scope_applies_the_same_rule(
    sessions: sessionmaker[Session], error: DomainError | None, stays: bool
) -> None:
    units = UnitOfWorkFactory(sessions)
    with pytest.raises(DomainError) if error else nullcontext(), units() as uow:
        lease(uow, "scope")
        if error:
            raise error
    assert kept(sessions, "scope") is stays


def test_without_commit_a_kept_refusal_waits_for_the_owner(
    sessions: sessionmaker[Session],
) -> None:
    uow = UnitOfWork(sessions())
    lease(uow, "page")
    uow.refused(Counted("counted"))  # a page re-renders; the request's scope commits
    assert uow.session.get(t.Lease, "page") is not None
    uow.commit()
    uow.close()
    assert kept(sessions, "page")
