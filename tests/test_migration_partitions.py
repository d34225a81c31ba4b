"""Migration 0021_partitions on a database that holds scans and daily reports: every
row is kept (in its month's partition on PostgreSQL), the tables match the models,
and the downgrade gives the plain tables back with the rows (both databases)."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from healthcode.domain.clock import TZ
from healthcode.store import partitions
from healthcode.store import tables as t
from healthcode.store.migrate import downgrade, schema_diff, upgrade
from tests.factories.old_schema import insert_as_of

RELKIND = text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)")
JAN, MAR = datetime(2020, 1, 20, 9, tzinfo=TZ), datetime(2020, 3, 2, 9, tzinfo=TZ)


def populate(engine: Engine) -> dict[str, set[uuid.UUID]]:
    """A venue with a scan in January and one in March (one with a fraud case), and a
    report on each of those days: the rows as 0020_fraud keeps them."""
    resident, org, venue, guard = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        account = {"id": guard, "kind": "staff", "username": "guard", "created_at": JAN}
        insert_as_of(session.connection(), t.Account, **account)
        session.add(
            t.Resident(
                id=resident, ref="r1", name="张三", name_masked="张*", id_hash=b"h" * 32,
                id_cipher=b"c", id_masked="3716**", sex="M", birth_date=date(1990, 3, 7),
                region_code="371602", created_at=JAN,
            )
        )  # fmt: skip
        session.flush()
        insert_as_of(
            session.connection(), t.Organisation, id=org, kind="community",
            credit_code="X" * 18, name="社区", responsible_person="李四",
            region_code="371602", created_at=JAN,
        )  # fmt: skip
        session.add(
            t.Venue(
                id=venue, organisation_id=org, kind="checkpoint", name="东门",
                region_code="371602", code="v1", created_at=JAN,
            )
        )  # fmt: skip
        session.flush()
        scans = [
            t.Scan(
                id=uuid.uuid4(), venue_id=venue, lane="camera", client_id=f"c{i}",
                scanned_at=at, recorded_at=at, resident_id=resident, flags=[],
            )
            for i, at in enumerate((JAN, MAR))
        ]  # fmt: skip
        reports = [
            t.DailyReport(
                id=uuid.uuid4(), resident_id=resident, policy_id="binzhou-code",
                reported_at=at, day=at.date(), symptoms=[], exposures=[], trips=[],
            )
            for at in (JAN, MAR)
        ]  # fmt: skip
        session.add_all([*scans, *reports])
        session.flush()
        session.add(
            t.FraudCase(
                id=uuid.uuid4(), scan_id=scans[1].id, resident_id=resident,
                reported_by=guard, at=MAR,
            )
        )  # fmt: skip
    return {"scans": {s.id for s in scans}, "daily_reports": {r.id for r in reports}}


def rows(engine: Engine, table: str) -> set[uuid.UUID]:
    column = t.Scan.id if table == "scans" else t.DailyReport.id
    with engine.connect() as conn:
        return set(conn.scalars(sa.select(column)))


def layout(engine: Engine, table: str) -> tuple[str | None, list[str]]:
    """The table's kind (p: partitioned) and the partitions its rows are in."""
    with engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            return None, []
        kind = conn.scalar(
            text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}
        )
        held = conn.scalars(text(f"SELECT DISTINCT tableoid::regclass::text FROM {table}"))
        return str(kind), sorted(held)


def test_the_rows_are_kept_both_ways(bare: Engine) -> None:
    upgrade(bare, "0020_fraud")
    before = populate(bare)

    upgrade(bare)
    for table, ids in before.items():
        assert rows(bare, table) == ids
    with bare.connect() as conn:
        assert schema_diff(conn) == []
        made = partitions.months(conn, "scans")
    if bare.dialect.name == "postgresql":
        assert layout(bare, "scans") == ("p", ["scans_y2020m01", "scans_y2020m03"])
        assert layout(bare, "daily_reports") == (
            "p",
            ["daily_reports_y2020m01", "daily_reports_y2020m03"],
        )
        assert made[0] == date(2020, 1, 1)  # from the oldest row's month on, no gap
        assert all(partitions.add_months(a, 1) == b for a, b in itertools.pairwise(made))
        with bare.connect() as conn:
            primary_key = conn.scalars(
                text(
                    "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
                    "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                    "WHERE i.indrelid = to_regclass('scans') AND i.indisprimary ORDER BY 1"
                )
            ).all()
        assert primary_key == ["id", "scanned_at"]

    downgrade(bare, "0020_fraud")
    for table, ids in before.items():
        assert rows(bare, table) == ids
    if bare.dialect.name == "postgresql":
        assert layout(bare, "scans")[0] == "r"  # a plain table again
    with bare.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(t.FraudCase)) == 1

    upgrade(bare)  # and up again
    assert rows(bare, "scans") == before["scans"]
