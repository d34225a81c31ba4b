"""Department imports racing on PostgreSQL: real connections, each unit committing
(SQLite's single writer hides these). Found by running two imports at once from
outside: both reported the same correction as theirs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import sessionmaker

from healthcode.services.records.imports import ImportReport
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWorkFactory
from tests.services.records.helpers import csv_bytes, green_resident, run_import

HEADER = ("source_id", "id_number", "start", "end")


@pytest.fixture
def units(postgresql_engine: Engine) -> Iterator[UnitOfWorkFactory]:
    """Units of work that really commit; what the test made is deleted after."""
    factory = sessionmaker(postgresql_engine, expire_on_commit=False)
    yield UnitOfWorkFactory(factory)
    with factory.begin() as session:
        for table in (t.DataRecord, t.ImportRefusal, t.ImportBatch, t.AuditEvent, t.Resident):
            session.execute(delete(table))
        session.execute(delete(t.Account))


def test_the_same_release_sent_twice_at_once_is_one_amendment(
    units: UnitOfWorkFactory, env: Env
) -> None:
    """The second import waits for the first's lock on the record, then reads the
    committed release: unchanged, and the first batch is the one a rollback undoes."""
    with units() as uow:
        _, number = green_resident(uow, env)
        run_import(uow, env, csv_bytes([HEADER, ("CC-1", number, "2020-02-20", "")]))
    release = csv_bytes([HEADER, ("CC-1", number, "2020-02-20", "2020-02-27")])
    second: dict[str, ImportReport] = {}

    def send_again() -> None:
        with units() as uow:
            second["report"] = run_import(uow, env, release, recolour=False)

    with units() as uow:
        first = run_import(uow, env, release, recolour=False)
        racing = threading.Thread(target=send_again)
        racing.start()
        time.sleep(0.5)
        assert racing.is_alive(), "the second import did not wait for the first's record"
    racing.join(timeout=30)
    again = second["report"]
    assert (first.amended, first.unchanged) == (1, 0)
    assert (again.amended, again.unchanged) == (0, 1)
    with units() as uow:
        record = uow.session.scalars(select(t.DataRecord)).one()
        assert record.amended_by == first.batch_id
        assert record.amended_from is not None
        assert record.amended_from["end"] is None
