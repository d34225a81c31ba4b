"""An import's recolouring is owed from its commit until done: a run cut off (a
process killed after the commit, a database lost half-way) leaves the batch owed,
and ``recolour_pending`` finishes it (docs/records.md, "Recolouring")."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import SystemClock
from healthcode.domain.colour import Colour
from healthcode.jobs import recolouring as job
from healthcode.services.codes.batches import recolour_residents
from healthcode.services.records import recolouring
from healthcode.services.records.batches import list_batches, roll_back_batch
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.units import SameUnit
from tests.services.records.helpers import (
    colour_of,
    csv_bytes,
    green_resident,
    later,
    run_import,
)

HEADER = ("source_id", "id_number", "start")
PAGES = "healthcode.services.records.recolouring.recolour_residents"  # a page's recolouring


def committed(uow: UnitOfWork, env: Env, *numbers: str) -> uuid.UUID:
    """An import committed, and the process gone before it recoloured anyone."""
    rows = [HEADER, *((f"CC-{i}", n, "2020-02-22") for i, n in enumerate(numbers))]
    return run_import(uow, env, csv_bytes(rows), recolour=False).batch_id


def pending(uow: UnitOfWork, env: Env, **kwargs: Any) -> list[uuid.UUID]:
    """The batches the job recoloured."""
    return list(job.recolour_pending(SameUnit(uow), env, **kwargs).done)  # type: ignore[arg-type]


def owed(uow: UnitOfWork, batch_id: uuid.UUID) -> datetime | None:
    batch = uow.session.get(t.ImportBatch, batch_id, populate_existing=True)
    assert batch is not None
    return batch.recolour_due_at


def test_an_import_never_recoloured_is_finished_by_the_job(uow: UnitOfWork, env: Env) -> None:
    listed, number = green_resident(uow, env)
    batch_id = committed(uow, env, number)
    assert colour_of(uow, listed) is Colour.GREEN  # the records are in; the colour is not
    assert [b.recolour_pending for b in list_batches(uow, None)] == [True]

    assert pending(uow, env) == []  # its own run may still be under way
    later(env, minutes=2)
    assert pending(uow, env) == [batch_id]

    assert colour_of(uow, listed) is Colour.RED
    assert owed(uow, batch_id) is None
    assert [b.recolour_pending for b in list_batches(uow, None)] == [False]
    assert pending(uow, env, grace=timedelta(0)) == []


def failing_on_page(number: int, real: Callable[..., Any]) -> Callable[..., Any]:
    calls = iter(range(1, 1000))

    def recolour_residents(*args: Any, **kwargs: Any) -> Any:
        if next(calls) == number:
            raise OperationalError("UPDATE codes", {}, Exception("server closed the connection"))
        return real(*args, **kwargs)

    return recolour_residents


def test_a_recolouring_cut_off_half_way_stays_owed(
    uow: UnitOfWork, env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    residents = [green_resident(uow, env) for _ in range(3)]
    batch_id = committed(uow, env, *(number for _, number in residents))
    monkeypatch.setattr(recolouring, "BATCH", 1)  # a page per resident
    monkeypatch.setattr(PAGES, failing_on_page(2, recolour_residents))

    with pytest.raises(OperationalError):
        recolouring.recolour_batch(SameUnit(uow), env, batch_id=batch_id)  # type: ignore[arg-type]

    colours = sorted(colour_of(uow, account).value for account, _ in residents)
    assert colours == ["green", "green", "red"]  # the first page committed, then the loss
    assert owed(uow, batch_id) is not None
    monkeypatch.setattr(PAGES, recolour_residents)
    assert pending(uow, env, grace=timedelta(0)) == [batch_id]
    assert {colour_of(uow, account) for account, _ in residents} == {Colour.RED}
    assert owed(uow, batch_id) is None


def test_a_rollback_committed_while_the_import_recolours_stays_owed(
    uow: UnitOfWork, env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed, number = green_resident(uow, env)
    batch_id = committed(uow, env, number)

    def rolled_back_meanwhile(*args: Any, **kwargs: Any) -> Any:
        done = recolour_residents(*args, **kwargs)
        roll_back_batch(uow, env, None, batch_id=batch_id)  # after the import's page
        return done

    monkeypatch.setattr(PAGES, rolled_back_meanwhile)
    recolouring.recolour_batch(SameUnit(uow), env, batch_id=batch_id)  # type: ignore[arg-type]
    monkeypatch.setattr(PAGES, recolour_residents)

    assert colour_of(uow, listed) is Colour.RED  # the import's recolouring, done
    assert owed(uow, batch_id) is not None  # the rollback's, still owed
    later(env)
    assert pending(uow, env, grace=timedelta(0)) == [batch_id]
    assert colour_of(uow, listed) is Colour.GREEN
    assert owed(uow, batch_id) is None


def test_a_rollback_at_the_same_instant_is_owed_apart(uow: UnitOfWork, env: Env) -> None:
    _, number = green_resident(uow, env)
    batch_id = committed(uow, env, number)
    imported = owed(uow, batch_id)
    roll_back_batch(uow, env, None, batch_id=batch_id)  # the clock has not moved
    rolled_back = owed(uow, batch_id)
    assert imported is not None
    assert rolled_back is not None
    assert rolled_back > imported


def test_a_batch_another_run_holds_is_left_to_it(uow: UnitOfWork, env: Env) -> None:
    listed, number = green_resident(uow, env)
    batch_id = committed(uow, env, number)
    now = SystemClock().now()
    name = f"recolour-batch:{batch_id}"
    assert uow.leases.take(name, "another-node:run", now, now + timedelta(minutes=2))

    held = job.recolour_pending(SameUnit(uow), env, grace=timedelta(0))  # type: ignore[arg-type]
    assert (held.done, held.held) == ((), (batch_id,))
    assert colour_of(uow, listed) is Colour.GREEN

    uow.leases.release(name, "another-node:run")  # done, or its lease expired
    assert pending(uow, env, grace=timedelta(0)) == [batch_id]
    assert colour_of(uow, listed) is Colour.RED


@pytest.mark.parametrize("rollback_commits", [True, False])
def test_on_postgresql_the_finish_waits_for_a_racing_rollback(
    postgresql_engine: Engine, rollback_commits: bool
) -> None:
    """Two transactions: a rollback has set a later instant and holds the batch's row;
    the import's recolouring finishes meanwhile. Its update waits, then keeps the
    rollback's instant if that committed, or clears the import's if it did not."""
    factory = sessionmaker(postgresql_engine, expire_on_commit=False)
    batch_id, imported = uuid.uuid4(), datetime.now(UTC)
    rolled_back = imported + timedelta(seconds=1)
    with factory.begin() as session:
        session.add(
            t.ImportBatch(
                id=batch_id, department="health", kind="close_contact", started_at=imported,
                recolour_due_at=imported,
            )
        )  # fmt: skip
    try:
        with factory() as rollback:
            rollback.execute(
                update(t.ImportBatch)
                .where(t.ImportBatch.id == batch_id)
                .values(recolour_due_at=rolled_back)
            )  # holds the row, not committed yet
            finish = threading.Thread(target=_finish, args=(factory, batch_id, imported))
            finish.start()
            finish.join(timeout=1)
            assert finish.is_alive(), "the finish did not wait for the rollback's row"
            rollback.commit() if rollback_commits else rollback.rollback()
            finish.join(timeout=30)
        with factory() as session:
            batch = session.get(t.ImportBatch, batch_id)
            assert batch is not None
            assert batch.residents_touched == 7
            assert batch.recolour_due_at == (rolled_back if rollback_commits else None)
    finally:
        with factory.begin() as session:
            session.execute(delete(t.ImportBatch).where(t.ImportBatch.id == batch_id))


def _finish(factory: sessionmaker[Session], batch_id: uuid.UUID, due: datetime) -> None:
    with factory.begin() as session:
        UnitOfWork(session).import_batches.recoloured(batch_id, due, 7)
