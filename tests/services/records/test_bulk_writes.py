"""The fast path of an import: the new records go in with COPY (PostgreSQL) or a
multi-row INSERT (SQLite); a record another import has just written is skipped
and counted unchanged, never an error."""

from __future__ import annotations

import re
import uuid

from psycopg.sql import Literal
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from healthcode.domain.records import ImportKind
from healthcode.services.records.imports import _RECORD_COLUMNS
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.bulk import among
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


def test_a_departments_later_files_are_matched_as_a_set_not_row_by_row(
    postgresql_engine: Engine,
) -> None:
    """After five runs psycopg prepares an import's lookups and PostgreSQL may plan
    them once for any value. With ``= ANY(array)`` that plan compared every record of
    the department with every source id of the chunk (1.1 s for a 2,000-row chunk
    against 7,000 records); as a set it stays a join."""
    with postgresql_engine.connect() as connection:
        session = Session(bind=connection)
        ids = [f"CC-{i}" for i in range(2000)]
        query = select(t.DataRecord.id).where(
            t.DataRecord.department == "health", among(session, t.DataRecord.source_id, ids)
        )
        compiled = query.compile(dialect=connection.dialect)
        names = re.findall(r"%\((\w+)\)s", str(compiled))
        prepared = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m[1]) + 1}", str(compiled))
        raw = connection.connection.driver_connection
        values = ", ".join(Literal(compiled.params[n]).as_string(raw) for n in names)
        with connection.begin():
            connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
            connection.exec_driver_sql(f"PREPARE lookup AS {prepared}")
            plan = connection.exec_driver_sql(f"EXPLAIN EXECUTE lookup({values})").scalars().all()
            connection.exec_driver_sql("DEALLOCATE lookup")
    filters = [line for line in plan if "Filter" in line]
    assert not [line for line in filters if "ANY" in line], "\n".join(plan)
