"""The fast path of an import: the new records go in with COPY (PostgreSQL) or a
multi-row INSERT (SQLite); a record another import has just written is skipped
and counted unchanged, never an error."""

from __future__ import annotations

import uuid

from healthcode.domain.records import ImportKind
from healthcode.services.records.imports import _RECORD_COLUMNS
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.services.records.helpers import csv_bytes, green_resident, run_import

HEADER = ("source_id", "id_number", "start")


def test_a_record_written_meanwhile_is_skipped_not_an_error(uow: UnitOfWork, env: Env) -> None:
    account, number = green_resident(uow, env)
    first = run_import(uow, env, csv_bytes([HEADER, ("CC-1", number, "2020-02-22")]))
    assert account.resident_id is not None
    row = (
        uuid.uuid4(), account.resident_id, "close_contact", None, None, None, "x.csv",
        env.clock.now(), "health", "CC-1", first.batch_id, None, "",
    )  # fmt: skip
    fresh = (uuid.uuid4(), *row[1:9], "CC-2", *row[10:])
    assert uow.data_records.add_new(_RECORD_COLUMNS, [row, fresh]) == 1


def test_many_rows_across_chunks_counted_once(uow: UnitOfWork, env: Env) -> None:
    _, number = green_resident(uow, env)
    rows = [HEADER] + [(f"CC-{i % 7000}", number, "2020-02-22") for i in range(12_000)]
    report = run_import(uow, env, csv_bytes(rows), kind=ImportKind.CLOSE_CONTACT)
    assert (report.rows_read, report.added, report.unchanged) == (12_000, 7000, 5000)
    again = run_import(uow, env, csv_bytes(rows), kind=ImportKind.CLOSE_CONTACT)
    assert (again.added, again.unchanged, again.refused) == (0, 12_000, 0)
