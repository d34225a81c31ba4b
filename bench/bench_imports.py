"""Department imports (issue 13 item 11), on PostgreSQL, in one run:

``imports.rows``: close-contact rows imported per second (read, checked, matched to
residents, inserted, one transaction) against a plain ``COPY`` of the same rows
(every column the import writes, the batch's key included) into ``data_records``
itself (its keys and indexes maintained, rolled back), each
the best of ``--rounds`` interleaved rounds (a new file each round, committed).
Target: at least 0.5. ``imports.rows_vs_bare_copy`` shows the same rate against a
COPY into a copy of the table without indexes or keys (no target: that COPY skips
work an import cannot).

``imports.recolour``: residents recoloured per second after that import (every
resident the batch names, re-evaluated by the engine, history and notification
written, batches of 200 per transaction) against a plain ``UPDATE codes SET colour``
of the same residents. Target: at least 0.5.

The population is the generator's (``healthcode demo --residents N``: residents,
declarations, codes with histories, department records, scans) written with COPY
into a database of its own (``HEALTHCODE_BENCH_PG_URL``, default the test server):
``HEALTHCODE_BENCH_RESIDENTS`` residents (default 20,000 so that ``make bench``
stays within minutes; the issue's figure is 1,000,000), of whom a tenth are named
in the file.
"""

from __future__ import annotations

import io
import math
import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, delete, text

from bench.core import Benchmark, Result, Settings
from healthcode.config import Settings as AppSettings
from healthcode.demo.population import generate_population, id_number_of
from healthcode.domain.clock import FixedClock
from healthcode.domain.records import Department, ImportKind
from healthcode.services.records.imports import RECORD_COLUMNS, Sender, import_records
from healthcode.services.records.recolouring import recolour_batch
from healthcode.services.shared.env import make_env
from healthcode.store import tables as t
from healthcode.store.db import make_engine, session_factory
from healthcode.store.migrate import upgrade
from healthcode.store.uow import UnitOfWorkFactory

SERVER = os.environ.get("HEALTHCODE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/")
RESIDENTS = int(os.environ.get("HEALTHCODE_BENCH_RESIDENTS", "20000"))
SCANS = 0.2  # scans per resident: the imports read none, the population keeps some
NOW = datetime(2020, 3, 1, 2, 0, tzinfo=UTC)
TARGET = 0.5


def _fresh_database(name: str | None = None, template: str | None = None) -> str:
    """A new database (made again if it was there); ``template``: a copy of that one."""
    name = name or f"bench_imports_{os.getpid()}"
    admin = create_engine(SERVER + "postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        c.execute(text(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else "")))
    admin.dispose()
    return SERVER + name


def _drop(url: str) -> None:
    admin = create_engine(SERVER + "postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[-1]}"))
    admin.dispose()


def _vacuum(engine: Any) -> None:
    """Statistics and visibility for a population just written: without them the
    server's own vacuum of a million fresh rows runs under the timed work."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE"))


def _population(units: UnitOfWorkFactory, env: Any, count: int) -> list[str]:
    """The generator's population (healthcode/demo/population.py), written with COPY."""
    with units() as uow:
        generate_population(uow, env, residents=count, scans_per_resident=SCANS)
    return [id_number_of(n) for n in range(count)]


def _csv(numbers: list[str], prefix: str = "BENCH") -> bytes:
    lines = ["source_id,id_number,start"]
    lines += [f"{prefix}-{i},{n},2020-02-29" for i, n in enumerate(numbers)]
    return ("\r\n".join(lines) + "\r\n").encode()


def _timed_copy(engine: Any, table: str, rows: list[Any], *, keep: bool) -> float:
    """Seconds for a plain COPY of ``rows`` into ``table``; rolled back unless ``keep``."""
    raw = engine.raw_connection()
    try:
        started = time.perf_counter()
        statement = f"COPY {table} ({', '.join(map(_quoted, RECORD_COLUMNS))}) FROM STDIN"
        with raw.cursor() as cur, cur.copy(statement) as cp:
            for row in rows:
                cp.write_row(row)
        seconds = time.perf_counter() - started
        raw.commit() if keep else raw.rollback()
    finally:
        raw.close()
    return seconds


def _quoted(column: str) -> str:
    return f'"{column}"'


def _copy_rows(units: UnitOfWorkFactory, batch_id: uuid.UUID) -> list[tuple[Any, ...]]:
    """The batch's records as the import wrote them, every column (the batch's key
    too: its foreign key costs the COPY a check per row, as it costs the import), with
    their own ids and numbers."""
    with units() as uow:
        records = uow.session.query(t.DataRecord).filter_by(batch_id=batch_id).all()
        return [
            tuple(
                uuid.uuid4() if c == "id" else f"COPY-{r.source_id}" if c == "source_id"
                else getattr(r, c)
                for c in RECORD_COLUMNS
            )
            for r in records
        ]  # fmt: skip


def run(settings: Settings) -> list[Result]:
    url = _fresh_database()
    engine = make_engine(url)
    upgrade(engine)
    env = make_env(
        AppSettings(database_url=url, secret_key="bench-secret", scheduler=False), FixedClock(NOW)
    )
    units = UnitOfWorkFactory(session_factory(engine))
    numbers = _population(units, env, RESIDENTS)
    _vacuum(engine)
    named = numbers[: max(1, RESIDENTS // 10)]
    with units() as uow:  # a server has read its region table before its first import
        import_records(
            uow, env, sender=Sender(), department=Department.HEALTH,
            kind=ImportKind.CLOSE_CONTACT, stream=io.BytesIO(_csv(named[:1])), file_name="w.csv",
        )  # fmt: skip
        uow.rollback()
    with units() as uow:
        uow.session.execute(text("CREATE TABLE copy_target (LIKE data_records INCLUDING DEFAULTS)"))

    # Interleaved rounds, the best of each side (``core.rates`` does the same for the
    # HTTP rows): one import of a 2,000-row file is a tenth of a second, and one such
    # timing on this machine moved by 2x between runs. Each round's file is new to
    # the database (its own record numbers), committed as a department's would be.
    imported = copied = math.inf
    rows: list[tuple[Any, ...]] = []
    earlier: list[uuid.UUID] = []
    for round_number in range(settings.rounds):
        data = _csv(named, prefix=f"BENCH{round_number}")
        started = time.perf_counter()
        with units() as uow:
            report = import_records(
                uow, env, sender=Sender(), department=Department.HEALTH,
                kind=ImportKind.CLOSE_CONTACT, stream=io.BytesIO(data),
                file_name=f"bench-{round_number}.csv",
            )  # fmt: skip
        imported = min(imported, time.perf_counter() - started)
        assert report.added == len(named), report
        earlier.append(report.batch_id)
        if not rows:
            rows = _copy_rows(units, report.batch_id)
        copied = min(copied, _timed_copy(engine, "data_records", rows, keep=False))
    bare = _timed_copy(engine, "copy_target", rows, keep=True)
    with engine.begin() as c:  # the recolour below finds one close contact each, as before
        c.execute(delete(t.DataRecord).where(t.DataRecord.batch_id.in_(earlier[:-1])))

    started = time.perf_counter()
    recoloured = recolour_batch(units, env, batch_id=report.batch_id)
    recolour_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with units() as uow:
        uow.session.execute(
            text(
                "UPDATE codes SET colour = 'red', evaluated_at = now() WHERE resident_id IN "
                "(SELECT resident_id FROM data_records WHERE batch_id = :b)"
            ),
            {"b": report.batch_id},
        )
    updated = time.perf_counter() - started
    engine.dispose()
    _drop(url)
    n = len(named)
    return [
        Result("imports.rows", n / imported, "rows/s", baseline=n / copied, target=TARGET),
        Result("imports.rows_vs_bare_copy", n / imported, "rows/s", baseline=n / bare),
        Result(
            "imports.recolour",
            recoloured.residents / recolour_seconds,
            "residents/s",
            baseline=n / updated,
            target=TARGET,
        ),
    ]


BENCHMARK = Benchmark(
    "imports",
    f"department imports on PostgreSQL ({RESIDENTS} residents): rows/s vs COPY, "
    "residents recoloured/s vs UPDATE",
    run,
)
