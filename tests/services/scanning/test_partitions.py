"""Scans and daily reports by month (docs/deployment.md): on PostgreSQL each row lands
in its month's partition, the scan and report paths work unchanged across
partitions, the partitions are made ahead and retention drops exactly the months
past it; SQLite (plain tables) loses the same rows."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy import select, text

from healthcode.domain.clock import TZ, FixedClock
from healthcode.jobs.partitions import make_partitions, retire
from healthcode.services.accounts.permissions import Principal
from healthcode.services.scanning import releases, scans
from healthcode.services.scanning.venues import VenueSummary
from healthcode.services.shared.env import Env
from healthcode.store import partitions
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories.scanning import display_token
from tests.factories.units import SameUnit
from tests.services.conftest import report


def units_of(uow: UnitOfWork) -> UnitOfWorkFactory:
    return SameUnit(uow)  # type: ignore[return-value]


def where(uow: UnitOfWork, table: str) -> dict[uuid.UUID, str]:
    """Each row's partition (PostgreSQL) or the table itself (SQLite)."""
    if uow.session.get_bind().dialect.name != "postgresql":
        column = t.Scan.id if table == "scans" else t.DailyReport.id
        return dict.fromkeys(uow.session.scalars(select(column)), table)
    rows = uow.session.execute(text(f"SELECT id, tableoid::regclass::text FROM {table}"))
    return {i: name.rsplit(".", 1)[-1] for i, name in rows}


def scan_now(
    uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, resident: uuid.UUID | None
) -> uuid.UUID:
    token = display_token(uow, env, resident)
    return scans.scan_code(uow, env, guard, venue_id=gate.id, token=token).id


def copy_of(row: t.Scan, **changes: object) -> t.Scan:
    copied = t.Scan(**{c.key: getattr(row, c.key) for c in t.Scan.__table__.columns})
    for name, value in {"id": uuid.uuid4(), **changes}.items():
        setattr(copied, name, value)
    return copied


def test_rows_land_in_their_month_and_retention_drops_exactly_the_old_months(
    uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
) -> None:
    clock = env.clock
    assert isinstance(clock, FixedClock)
    pg = uow.session.get_bind().dialect.name == "postgresql"
    units = units_of(uow)

    # a scan and a report in February 2020, before any partition holds that month
    february_scan = scan_now(uow, env, guard, gate, green.resident_id)
    report(uow, env, green)
    uow.flush()
    if pg:
        assert set(where(uow, "scans").values()) == {"scans_default"}

    # the job makes January to three months ahead; February's rows move into theirs
    made = partitions.ensure(
        uow.session.connection(), today=date(2020, 2, 23), ahead=3, since=date(2020, 1, 1)
    )
    if pg:
        months = ["y2020m01", "y2020m02", "y2020m03", "y2020m04", "y2020m05"]
        assert made == [f"scans_{m}" for m in months] + [f"daily_reports_{m}" for m in months]
        assert where(uow, "scans")[february_scan] == "scans_y2020m02"
        assert set(where(uow, "daily_reports").values()) == {"daily_reports_y2020m02"}
    else:
        assert made == []
    assert make_partitions(units, env) == []  # again: nothing to make

    # March: a scan, its release (an update through the partitioned table) and a report
    clock.advance(timedelta(days=10))  # 2020-03-04
    march_scan = scan_now(uow, env, guard, gate, green.resident_id)
    releases.release(uow, env, guard, scan_id=march_scan, temperature=36.5)
    report(uow, env, green)
    uow.flush()
    if pg:
        assert where(uow, "scans")[march_scan] == "scans_y2020m03"
    found = uow.scans.by_id(march_scan)
    assert found is not None
    assert (found.temperature, found.released_by) == (36.5, guard.account_id)
    assert green.resident_id is not None
    history = uow.scans.of_resident_between(
        green.resident_id, datetime(2020, 2, 1, tzinfo=TZ), clock.now()
    )
    assert [s.id for s, _v in history] == [february_scan, march_scan]  # across months

    # a scanner whose clock was years behind: kept in the default partition
    stray = uow.session.get(t.Scan, february_scan)
    assert stray is not None
    ancient = copy_of(stray, scanned_at=datetime(2017, 6, 1, tzinfo=TZ))
    uow.add(ancient)
    uow.flush()
    if pg:
        assert where(uow, "scans")[ancient.id] == "scans_default"

    # 2020-05-10 with 62 days' retention: the cutoff is 2020-03-09, so every month
    # that ended by 1 March goes (January, February) and March stays
    clock.advance(timedelta(days=67))
    env = replace(env, settings=env.settings.model_copy(update={"retention_days": 62}))
    retired = retire(units, env)
    assert retired.before == date(2020, 3, 1)
    assert set(where(uow, "scans")) == {march_scan}
    reports = uow.session.scalars(select(t.DailyReport.day)).all()
    assert reports == [date(2020, 3, 4)]
    if pg:
        assert retired.dropped == (
            "scans_y2020m01",
            "scans_y2020m02",
            "daily_reports_y2020m01",
            "daily_reports_y2020m02",
        )
        assert retired.deleted == 1  # the stray scan in the default partition
        assert partitions.months(uow.session.connection(), "scans")[:2] == [
            date(2020, 3, 1),
            date(2020, 4, 1),
        ]
    else:
        assert retired.dropped == ()
        assert retired.deleted == 3  # February's scan and report, the stray scan
    assert retire(units, env).dropped == ()  # again: nothing more


def test_a_client_id_is_recorded_once_per_venue_at_any_scan_time(
    uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
) -> None:
    token = display_token(uow, env, green.resident_id)
    first = scans.scan_code(uow, env, guard, venue_id=gate.id, token=token, client_id="c-1")
    row = uow.scans.by_id(first.id)
    assert row is not None
    again = copy_of(row, scanned_at=row.scanned_at - timedelta(minutes=3))
    assert uow.scans.record_once(again) is False  # another time, the same client id
    assert [s.id for s in uow.scans.of_venue(gate.id)] == [first.id]
