"""The fast path of an import: the new records go in with COPY (PostgreSQL) or a
multi-row INSERT (SQLite); a record another import has just written is skipped
and counted unchanged, never an error."""

from __future__ import annotations

import csv
import io
import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from itertools import repeat

import pytest
from psycopg.sql import Literal
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.records import ImportKind
from healthcode.services.records.imports import RECORD_COLUMNS
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.bulk import among, new_ids
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
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
    assert uow.data_records.add_new(RECORD_COLUMNS, [row, fresh]) == 1


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


@pytest.fixture
def committing(
    postgresql_engine: Engine,
) -> Iterator[tuple[UnitOfWorkFactory, uuid.UUID, uuid.UUID]]:
    """A resident and a batch committed on PostgreSQL, removed with their records after."""
    factory = sessionmaker(postgresql_engine, expire_on_commit=False)
    resident, batch, now = uuid.uuid4(), uuid.uuid4(), datetime.now(UTC)
    with factory.begin() as session:
        session.add(
            t.Resident(
                id=resident, ref=resident.hex[:24], name="x", name_masked="x",
                id_hash=resident.bytes * 2, id_cipher=b"x", id_masked="x", sex="F",
                birth_date=date(1980, 1, 1), region_code="371602", created_at=now,
            )
        )  # fmt: skip
        session.add(
            t.ImportBatch(id=batch, department="health", kind="close_contact", started_at=now)
        )
    yield UnitOfWorkFactory(factory), resident, batch
    with factory.begin() as session:
        session.execute(delete(t.DataRecord).where(t.DataRecord.batch_id == batch))
        session.execute(delete(t.ImportBatch).where(t.ImportBatch.id == batch))
        session.execute(delete(t.Resident).where(t.Resident.id == resident))


def test_two_imports_of_the_same_rows_at_once_write_each_record_once(
    committing: tuple[UnitOfWorkFactory, uuid.UUID, uuid.UUID],
) -> None:
    """The second import's COPY waits for the first's keys, breaks one once the first
    commits, and goes again skipping what is there: no error, nothing twice."""
    units, resident, batch = committing
    now = datetime.now(UTC)

    def rows() -> list[tuple[object, ...]]:
        return [
            (uuid.uuid4(), resident, "close_contact", None, None, None, "x.csv", now, "health",
             f"RACE-{i}", batch, None, "")
            for i in range(500)
        ]  # fmt: skip

    written: dict[str, int] = {}
    first_wrote, second_started = threading.Event(), threading.Event()

    def first() -> None:
        with units() as uow:
            written["first"] = uow.data_records.add_new(RECORD_COLUMNS, rows())
            first_wrote.set()
            second_started.wait(timeout=30)
            time.sleep(0.2)  # the second is waiting on the first's keys by now, or will find them

    def second() -> None:
        first_wrote.wait(timeout=30)
        with units() as uow:
            second_started.set()
            written["second"] = uow.data_records.add_new(RECORD_COLUMNS, rows())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert written == {"first": 500, "second": 0}
    with units() as uow:
        count = uow.session.scalar(
            select(func.count()).select_from(t.DataRecord).where(t.DataRecord.batch_id == batch)
        )
    assert count == 500


def test_id_hashes_are_looked_up_as_one_value_cut_by_the_server(uow: UnitOfWork, env: Env) -> None:
    """A chunk's 32-byte hashes travel as one bytea on PostgreSQL (an array escapes each
    as text); a list of mixed widths goes as an array. Either way, exactly the known."""
    accounts = [green_resident(uow, env)[0] for _ in range(3)]
    residents = [uow.residents.by_id(a.resident_id) for a in accounts if a.resident_id]
    hashes = {r.id_hash: r.id for r in residents if r is not None}
    unknown = b"\x00" * 32
    assert uow.data_records.residents_by_id_hash([*hashes, unknown]) == hashes
    first = next(iter(hashes))
    assert uow.data_records.residents_by_id_hash([first, b"short"]) == {first: hashes[first]}


def test_record_numbers_with_any_printable_characters_are_found_again(
    uow: UnitOfWork, env: Env
) -> None:
    """Record numbers travel as one text cut up by the server on PostgreSQL (an array
    quotes and escapes each): commas, quotes, braces, backslashes, NULL, spaces inside
    and other scripts are found as sent, and a file sent again changes nothing."""
    numbers = ["A,B", '"Q"', "{x}", "a\\b", "NULL", "x y", "记录-1", "ÿ€", "'", ",,"]
    residents = [green_resident(uow, env)[1] for _ in numbers]
    text = io.StringIO()
    csv.writer(text).writerows([HEADER, *zip(numbers, residents, repeat("2020-02-22"))])
    data = text.getvalue().encode()
    first = run_import(uow, env, data)
    assert first.added == len(numbers), first.refusals
    assert sorted(uow.data_records.sent_before("health", [*numbers, "A"])) == sorted(numbers)
    again = run_import(uow, env, data)
    assert (again.added, again.unchanged, again.refused) == (0, len(numbers), 0), again


def test_a_chunks_look_ups_sent_ahead_find_what_they_find_one_by_one(
    uow: UnitOfWork, env: Env
) -> None:
    """``matching`` sends both look-ups before its block and reads them after it (an
    import checks its rows meanwhile): the same residents and records sent before as
    the two queries one after the other, this unit's own writes seen, the times
    aware UTC."""
    account, number = green_resident(uow, env)
    run_import(uow, env, csv_bytes([HEADER, ("CC-1", number, "2020-02-22")]))
    resident = uow.residents.by_id(account.resident_id) if account.resident_id else None
    assert resident is not None
    hashes, ids = [resident.id_hash, b"\x00" * 32], ["CC-1", "CC-2"]
    with uow.data_records.matching("health", ids, hashes) as found:
        assert (found.residents, found.known) == ({}, {})  # read after the block
    assert found.residents == uow.data_records.residents_by_id_hash(hashes)
    assert found.residents == {resident.id_hash: resident.id}
    assert found.known == uow.data_records.sent_before("health", ids)
    assert list(found.known) == ["CC-1"]
    assert found.known["CC-1"].received_at.tzinfo is UTC


def test_new_ids_are_random_version_4_uuids_written_as_text(uow: UnitOfWork, env: Env) -> None:
    """An import's records get their ids as hex text (``new_ids``): valid version-4
    UUIDs, all different, read back as the same UUIDs on either database."""
    ids = new_ids(500)
    parsed = [uuid.UUID(i) for i in ids]
    assert {(u.version, u.variant) for u in parsed} == {(4, uuid.RFC_4122)}
    assert len(set(ids)) == 500
    assert new_ids(500) != ids
    assert new_ids(0) == []
    account, number = green_resident(uow, env)
    batch = run_import(uow, env, csv_bytes([HEADER, ("CC-0", number, "2020-02-22")])).batch_id
    rows = [
        (record_id, account.resident_id, "close_contact", None, None, None, "x.csv",
         env.clock.now(), "health", f"CC-{n + 1}", batch, None, "")
        for n, record_id in enumerate(ids[:3])
    ]  # fmt: skip
    assert uow.data_records.add_new(RECORD_COLUMNS, rows) == 3
    written = uow.session.scalars(
        select(t.DataRecord.id).where(t.DataRecord.source_id.in_(["CC-1", "CC-2", "CC-3"]))
    )
    assert set(written) == set(parsed[:3])
