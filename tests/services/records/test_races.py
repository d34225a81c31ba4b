"""Department imports racing on PostgreSQL: real connections, each unit committing
(SQLite's single writer hides these). Found by running two imports at once from
outside: both reported the same correction as theirs."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import TypeVar

import pytest
from sqlalchemy import Engine, delete, event, select
from sqlalchemy.orm import sessionmaker

from healthcode.domain.records import ImportKind
from healthcode.services.accounts.permissions import Principal, Role
from healthcode.services.codes.batches import recolour_residents
from healthcode.services.codes.recolour import Cause, recolour_resident
from healthcode.services.records.batches import roll_back_batch
from healthcode.services.records.imports import ImportReport
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.services.conftest import new_account
from tests.services.records.helpers import csv_bytes, green_resident, run_import

HEADER = ("source_id", "id_number", "start", "end")
T = TypeVar("T")
U = TypeVar("U")


@pytest.fixture
def units(postgresql_engine: Engine) -> Iterator[UnitOfWorkFactory]:
    """Units of work that really commit; what the test made is deleted after."""
    factory = sessionmaker(postgresql_engine, expire_on_commit=False)
    yield UnitOfWorkFactory(factory)
    with factory.begin() as session:
        tables = (t.DataRecord, t.HighRiskRegion, t.ImportRefusal, t.ImportBatch, t.AuditEvent)
        for table in (*tables, t.Resident):
            session.execute(delete(table))
        session.execute(delete(t.Account))


def second_waits(
    units: UnitOfWorkFactory,
    first: Callable[[UnitOfWork], T],
    second: Callable[[UnitOfWork], U],
    waits_for: str,
) -> tuple[T, U]:
    """``first`` runs in a unit that stays open while ``second`` starts in another
    thread, which must wait for it; then ``first`` commits. Both results."""
    got: list[U] = []

    def other() -> None:
        with units() as uow:
            got.append(second(uow))

    with units() as uow:
        done = first(uow)
        racing = threading.Thread(target=other)
        racing.start()
        time.sleep(0.5)
        assert racing.is_alive(), f"the second did not wait for {waits_for}"
    racing.join(timeout=30)
    return done, got[0]


def test_the_same_release_sent_twice_at_once_is_one_amendment(
    units: UnitOfWorkFactory, env: Env
) -> None:
    """The second import waits for the first's lock on the record, then reads the
    committed release: unchanged, and the first batch is the one a rollback undoes."""
    with units() as uow:
        _, number = green_resident(uow, env)
        run_import(uow, env, csv_bytes([HEADER, ("CC-1", number, "2020-02-20", "")]))
    release = csv_bytes([HEADER, ("CC-1", number, "2020-02-20", "2020-02-27")])

    def send(uow: UnitOfWork) -> ImportReport:
        return run_import(uow, env, release, recolour=False)

    first, again = second_waits(units, send, send, "the first's record")
    assert (first.amended, first.unchanged) == (1, 0)
    assert (again.amended, again.unchanged) == (0, 1)
    with units() as uow:
        [amendment] = uow.session.scalars(select(t.Amendment)).all()
        assert amendment.batch_id == first.batch_id
        assert (amendment.before["end"], amendment.after["end"]) == (None, "2020-02-27")


def test_new_records_sent_twice_at_once_are_written_once_and_the_rest_kept(
    units: UnitOfWorkFactory, env: Env
) -> None:
    """When the first's commit makes the second's COPY break a unique key, the
    second's rows go again through the staging table: the records the first wrote
    count unchanged, its own new one is added, and its bad row is refused."""
    with units() as uow:
        numbers = [green_resident(uow, env)[1] for _ in range(4)]
    rows = [(f"CC-{i}", n, "2020-02-20", "") for i, n in enumerate(numbers)]
    wrong = "1" if numbers[0].endswith("0") else "0"  # "0" was right one time in eleven
    bad = ("CC-9", numbers[0][:-1] + wrong, "2020-02-20", "")  # a wrong check character

    def first(uow: UnitOfWork) -> ImportReport:
        return run_import(uow, env, csv_bytes([HEADER, *rows[:3]]), recolour=False)

    def second(uow: UnitOfWork) -> ImportReport:
        return run_import(uow, env, csv_bytes([HEADER, *rows, bad]), recolour=False)

    done, again = second_waits(units, first, second, "the first's records")
    assert (done.added, done.unchanged) == (3, 0)
    assert (again.added, again.unchanged, again.refused) == (1, 3, 1)
    assert [r.line for r in again.refusals] == [6]
    with units() as uow:
        kept = uow.session.execute(select(t.DataRecord.source_id, t.DataRecord.batch_id)).all()
        assert sorted(kept) == sorted(
            [(f"CC-{i}", done.batch_id) for i in range(3)] + [("CC-3", again.batch_id)]
        )


def test_a_rollback_waits_for_a_later_correction_and_leaves_it(
    units: UnitOfWorkFactory, env: Env
) -> None:
    """B2 corrects a record, B3 corrects it again; B2 is rolled back while B3 is still
    open. The rollback used to read the record before B3 committed and then write
    B1's values over B3's (the resident stayed red, B3 said "amended 1"). Now it
    waits for B3's lock, finds the record is B3's, and leaves it."""
    with units() as uow:
        _, number = green_resident(uow, env)
        run_import(uow, env, csv_bytes([HEADER, ("CC-1", number, "2020-02-20", "")]))
    with units() as uow:
        rows = [HEADER, ("CC-1", number, "2020-02-20", "2020-02-21")]
        b2 = run_import(uow, env, csv_bytes(rows), recolour=False)
    with units() as uow:
        staff = new_account(uow, env, "13700009999")
    officer = Principal(staff.id, "staff", None, frozenset({(Role.DATA_OPERATOR, "")}))  # type: ignore[arg-type]

    rows = [HEADER, ("CC-1", number, "2020-02-20", "2020-02-22")]
    b3, _ = second_waits(
        units,
        lambda uow: run_import(uow, env, csv_bytes(rows), recolour=False),
        lambda uow: roll_back_batch(uow, env, officer, batch_id=b2.batch_id),
        "the later correction",
    )
    assert b3.amended == 1
    with units() as uow:
        record = uow.session.scalars(select(t.DataRecord)).one()
        assert record.end == date(2020, 2, 22)
        chain = uow.session.scalars(select(t.Amendment).order_by(t.Amendment.id)).all()
        assert [(a.batch_id, a.before["end"]) for a in chain] == [
            (b2.batch_id, None),
            (b3.batch_id, "2020-02-21"),
        ]


@pytest.mark.parametrize("end", ["", "2020-02-18"], ids=["new listing", "lifted listing"])
def test_the_same_listing_sent_twice_at_once_is_written_once(
    units: UnitOfWorkFactory, env: Env, end: str
) -> None:
    """A high-risk listing new to both imports, or the day it was lifted: the second
    import waits for the first, then counts it unchanged (no error, no second row,
    the first batch the one a rollback undoes)."""
    header = ("source_id", "region", "start", "end")
    if end:
        with units() as uow:
            rows = [header, ("HR-1", "370100", "2020-02-17", "")]
            run_import(uow, env, csv_bytes(rows), kind=ImportKind.HIGH_RISK_REGION)
    listing = csv_bytes([header, ("HR-1", "370100", "2020-02-17", end)])

    def send(uow: UnitOfWork) -> ImportReport:
        return run_import(uow, env, listing, kind=ImportKind.HIGH_RISK_REGION, recolour=False)

    first, again = second_waits(units, send, send, "the first's listing")
    assert (first.added + first.amended, first.unchanged) == (1, 0)
    assert (again.added, again.amended, again.unchanged, again.refused) == (0, 0, 1, 0)
    with units() as uow:
        row = uow.session.scalars(select(t.HighRiskRegion)).one()
        amended = list(uow.session.scalars(select(t.Amendment.batch_id)))
        assert amended == ([first.batch_id] if end else [])
        assert row.batch_id == first.batch_id or amended


def _one_by_one(units: UnitOfWorkFactory, env: Env, resident_id: uuid.UUID) -> None:
    with units() as uow:
        recolour_resident(uow, env, resident_id=resident_id, cause=Cause.DAILY_REPORT)


def _in_a_batch(units: UnitOfWorkFactory, env: Env, resident_id: uuid.UUID) -> None:
    with units() as uow:
        recolour_residents(uow, env, resident_ids=[resident_id], cause=Cause.DATA)


@pytest.mark.parametrize("recolour", [_one_by_one, _in_a_batch])
def test_an_open_import_does_not_hold_up_recolouring_its_residents(
    units: UnitOfWorkFactory,
    env: Env,
    recolour: Callable[[UnitOfWorkFactory, Env, uuid.UUID], None],
) -> None:
    """An import's new records hold a KEY SHARE lock on their residents until it
    commits. Recolouring those residents meanwhile (a daily report, another import's
    batch) must not wait for it: with FOR UPDATE an import's next chunk and another
    import's recolouring could each wait for the other, and PostgreSQL aborted one
    with a deadlock (found racing two imports from outside)."""
    with units() as uow:
        account, number = green_resident(uow, env)
    resident_id = account.resident_id
    assert resident_id is not None
    done = threading.Event()

    def recolour_now() -> None:
        recolour(units, env, resident_id)
        done.set()

    with units() as uow:
        run_import(
            uow, env, csv_bytes([HEADER, ("CC-9", number, "2020-02-20", "")]), recolour=False
        )
        racing = threading.Thread(target=recolour_now)
        racing.start()
        assert done.wait(timeout=10), "the recolouring waited for the open import"
    racing.join(timeout=30)


def test_a_file_sent_again_unchanged_locks_no_record(
    units: UnitOfWorkFactory, env: Env, postgresql_engine: Engine
) -> None:
    """Only a row that would change its record locks it: re-sending a 200,000-row
    file had locked and loaded every record (55 s against 15 s for the first import,
    found by an outside probe at scale)."""
    with units() as uow:
        _, number = green_resident(uow, env)
    data = csv_bytes([HEADER, ("CC-1", number, "2020-02-20", "")])
    with units() as uow:
        run_import(uow, env, data)
    locks: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "FOR UPDATE" in statement and "data_records" in statement:
            locks.append(statement)

    event.listen(postgresql_engine, "before_cursor_execute", seen)
    try:
        with units() as uow:
            again = run_import(uow, env, data, recolour=False)
    finally:
        event.remove(postgresql_engine, "before_cursor_execute", seen)
    assert (again.unchanged, again.amended) == (1, 0)
    assert locks == []
