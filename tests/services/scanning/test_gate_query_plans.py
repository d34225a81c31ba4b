"""A gate's query keeps one plan on PostgreSQL however many months ``scans`` holds.

psycopg prepares a statement on its sixth run; PostgreSQL then plans it afresh while
that looks cheaper than its generic plan. On a table partitioned by month it always
did once there were six partitions (a deployment keeping 92 days has eight): every
scan paid ~0.6 ms of planning. The engine for one-statement work asks for the generic
plan (``store/db.py``, ``_GENERIC_PLANS``), which prunes the partitions as it runs.
"""

from __future__ import annotations

import os
import secrets
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from healthcode.store import db, partitions
from healthcode.store.migrate import upgrade
from healthcode.store.repositories.scanning import NearProbe, Venues
from tests.conftest import PG_URL, own_database

NOW = datetime(2020, 2, 20, 9, 0, tzinfo=UTC)


def _probe(resident_ref: str | None, fingerprint: bytes | None) -> NearProbe:
    return NearProbe(
        resident_ref, fingerprint, NOW - timedelta(minutes=10), NOW + timedelta(minutes=10),
        uuid.uuid4(), NOW,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("resident_ref", "fingerprint", "federation"),
    [
        pytest.param(None, secrets.token_bytes(32), True, id="another-regions-code"),
        pytest.param("Z3Mci4YSufaTqvNc", secrets.token_bytes(32), False, id="our-on-screen-code"),
        pytest.param("Z3Mci4YSufaTqvNc", None, False, id="our-printed-code"),
    ],
)
def test_a_gates_query_is_planned_once_with_a_years_partitions(
    tmp_path: Path, resident_ref: str | None, fingerprint: bytes | None, federation: bool
) -> None:
    with own_database("postgresql", tmp_path, f"hc_plans_{os.getpid()}") as engine:
        upgrade(engine)
        with engine.begin() as connection:
            partitions.ensure(connection, today=date(2026, 12, 1), ahead=12)
        with db.statement_at_a_time(engine).connect() as connection:
            session = Session(bind=connection)
            gates = Venues(session)
            for _ in range(12):  # prepared from the sixth on
                gates.signed_in_at(
                    secrets.token_bytes(32), uuid.uuid4(), None, _probe(resident_ref, fingerprint),
                    federation=federation,
                )  # fmt: skip
            plans = connection.exec_driver_sql(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                " WHERE starts_with(statement, 'SELECT sessions.id')"
            ).all()
            session.close()
    assert plans == [(7, 0)], "(generic, custom) plans of the seven prepared runs"


def test_the_generic_plans_option_keeps_the_options_given() -> None:
    assert db._generic_plans(PG_URL, {})["options"] == db._GENERIC_PLANS
    given = db._generic_plans(PG_URL, {"options": "-csearch_path=hc"})["options"]
    assert given == f"-csearch_path=hc {db._GENERIC_PLANS}"
    in_url = db._generic_plans(f"{PG_URL}?options=-cstatement_timeout%3D5000", {})["options"]
    assert in_url == f"-cstatement_timeout=5000 {db._GENERIC_PLANS}"
