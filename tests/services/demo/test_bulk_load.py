"""A bulk load sets the tables' keys aside and makes them again (PostgreSQL): the
schema after it is the schema before, and a row that breaks a key fails the load."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime

import psycopg
import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from healthcode.store import tables as t
from healthcode.store.bulk import keys_set_aside, write_rows

TABLES = ["residents", "codes", "scans", "daily_reports", "data_records"]
# The partitions' indexes too, and whether each index is valid: a partitioned table's
# index made again as its definition reads ("ON ONLY") covered no partition.
KEYS = """
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = ANY(CAST(:tables AS regclass[]))
UNION ALL
SELECT indrelid::regclass::text, indexrelid::regclass::text,
       pg_get_indexdef(indexrelid) || CASE WHEN indisvalid THEN '' ELSE ' INVALID' END
FROM pg_index WHERE indrelid = ANY(CAST(:tables AS regclass[]))
   OR indrelid IN (SELECT inhrelid FROM pg_inherits
                   WHERE inhparent = ANY(CAST(:tables AS regclass[])))
"""


@pytest.fixture
def connection(postgresql_engine: Engine) -> Iterator[Connection]:
    with postgresql_engine.connect() as connection:
        outer = connection.begin()
        yield connection
        outer.rollback()


def _keys(session: Session) -> set[tuple[str, str, str]]:
    return {(a, b, c) for a, b, c in session.execute(text(KEYS), {"tables": TABLES})}


def _resident(number: int) -> tuple[object, ...]:
    return (uuid.uuid4(), f"REF{number}", "x", "x", "resident_id", b"h%d" % number, b"c", "x",
            "F", date(1980, 1, 1), "CHN", "371602", "", datetime.now(UTC))  # fmt: skip


RESIDENT_COLUMNS = ("id", "ref", "name", "name_masked", "id_type", "id_hash", "id_cipher",
                    "id_masked", "sex", "birth_date", "nationality", "region_code", "address",
                    "created_at")  # fmt: skip


def test_the_keys_are_made_again_as_they_were(connection: Connection) -> None:
    session = Session(bind=connection)
    before = _keys(session)
    with keys_set_aside(session, TABLES):
        assert not [k for k in _keys(session) if k[1].startswith(("fk_", "ix_", "uq_"))]
        write_rows(session, t.Resident.__table__, RESIDENT_COLUMNS, [_resident(1), _resident(2)])
    assert _keys(session) == before


def test_a_row_that_breaks_a_key_fails_the_load(connection: Connection) -> None:
    session = Session(bind=connection)
    twins = [_resident(1), _resident(1)]  # the same reference and ID hash
    with (
        pytest.raises((IntegrityError, psycopg.errors.IntegrityError)),
        keys_set_aside(session, TABLES),
    ):
        write_rows(session, t.Resident.__table__, RESIDENT_COLUMNS, twins)
