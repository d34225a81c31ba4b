"""Department imports (issue 13 item 11), on PostgreSQL, in one run:

``imports.rows``: close-contact rows imported per second (read, checked, matched to
residents, inserted, one transaction) against a plain ``COPY`` of the same rows into
a table shaped like ``data_records``. Target: at least 0.5.

``imports.recolour``: residents recoloured per second after that import (every
resident the batch names, re-evaluated by the engine, history and notification
written, batches of 200 per transaction) against a plain ``UPDATE codes SET colour``
of the same residents. Target: at least 0.5.

The population (residents, a confirmed binzhou declaration each, a green code) is
written with COPY into a database of its own (``HEALTHCODE_BENCH_PG_URL``, default
the test server), ``HEALTHCODE_BENCH_RESIDENTS`` residents (default 20,000; the
issue's 1 M takes long on this shared machine), of whom a tenth are named in the file.
"""

from __future__ import annotations

import io
import json
import os
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, text

from bench.core import Benchmark, Result, Settings
from healthcode.config import Settings as AppSettings
from healthcode.domain.clock import FixedClock
from healthcode.domain.records import Department, ImportKind
from healthcode.services.records.imports import Sender, import_records
from healthcode.services.records.recolouring import recolour_batch
from healthcode.services.shared.env import make_env
from healthcode.store import tables as t
from healthcode.store.db import session_factory
from healthcode.store.migrate import upgrade
from healthcode.store.uow import UnitOfWorkFactory

SERVER = os.environ.get("HEALTHCODE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/")
RESIDENTS = int(os.environ.get("HEALTHCODE_BENCH_RESIDENTS", "20000"))
NOW = datetime(2020, 3, 1, 2, 0, tzinfo=UTC)
TARGET = 0.5


def id_number(n: int) -> str:
    birth = date(1950, 1, 1) + timedelta(days=n % 20000)
    first17 = f"371602{birth:%Y%m%d}{n // 20000 % 1000:03d}"
    total = sum(int(c) * (2 ** (17 - i) % 11) for i, c in enumerate(first17))
    return first17 + "10X98765432"[total % 11]


def _fresh_database() -> str:
    name = f"bench_imports_{os.getpid()}"
    admin = create_engine(SERVER + "postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        c.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return SERVER + name


def _drop(url: str) -> None:
    admin = create_engine(SERVER + "postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[-1]}"))
    admin.dispose()


def _copy(engine: Any, table: str, columns: list[str], rows: Any) -> None:
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
        raw.commit()
    finally:
        raw.close()


def _population(engine: Any, env: Any, count: int) -> list[str]:
    numbers = [id_number(i) for i in range(count)]
    ids = [uuid.uuid4() for _ in range(count)]
    _copy(
        engine,
        "residents",
        ["id", "ref", "name", "name_masked", "id_type", "id_hash", "id_cipher", "id_masked",
         "sex", "birth_date", "nationality", "region_code", "address", "created_at"],
        (
            (rid, f"r{n:010d}", "张三", "*三", "resident_id",
             env.protector.keyed_hash(num, kind="id_number"), b"x", num[:3] + "***", "M",
             date(1980, 1, 1), "CHN", "371602", "", NOW - timedelta(days=2))
            for n, (rid, num) in enumerate(zip(ids, numbers, strict=True))
        ),
    )  # fmt: skip
    confirmed = NOW - timedelta(days=1)
    _copy(
        engine,
        "declarations",
        ["id", "resident_id", "policy_id", "policy_version", "submitted_at", "confirmed_at",
         "temperature", "symptoms", "exposures", "trips", "destination_detail", "employer",
         "pledge", "checked_at"],
        (
            (uuid.uuid4(), rid, "binzhou-code", "2020-02-23.1", confirmed, confirmed, 36.5,
             "[]", "[]", "[]", "", "", "v1", confirmed)
            for rid in ids
        ),
    )  # fmt: skip
    green = json.dumps({"colour": "green", "reasons": []})
    _copy(
        engine,
        "codes",
        ["id", "resident_id", "policy_id", "policy_version", "colour", "state", "evaluated_at",
         "history_seq"],
        ((uuid.uuid4(), rid, "binzhou-code", "2020-02-23.1", "green", green, confirmed, 0)
         for rid in ids),
    )  # fmt: skip
    return numbers


def _csv(numbers: list[str]) -> bytes:
    lines = ["source_id,id_number,start"]
    lines += [f"BENCH-{i},{n},2020-02-29" for i, n in enumerate(numbers)]
    return ("\r\n".join(lines) + "\r\n").encode()


def run(settings: Settings) -> list[Result]:
    url = _fresh_database()
    engine = create_engine(url)
    upgrade(engine)
    env = make_env(
        AppSettings(database_url=url, secret_key="bench-secret", scheduler=False), FixedClock(NOW)
    )
    units = UnitOfWorkFactory(session_factory(engine))
    numbers = _population(engine, env, RESIDENTS)
    named = numbers[: max(1, RESIDENTS // 10)]
    data = _csv(named)

    started = time.perf_counter()
    with units() as uow:
        report = import_records(
            uow, env, sender=Sender(), department=Department.HEALTH,
            kind=ImportKind.CLOSE_CONTACT, stream=io.BytesIO(data), file_name="bench.csv",
        )  # fmt: skip
    imported = time.perf_counter() - started
    assert report.added == len(named), report

    with units() as uow:
        rows = [
            (uuid.uuid4(), r.resident_id, r.kind, r.start, "bench", r.received_at, "health",
             f"COPY-{r.source_id}", "")
            for r in uow.session.query(t.DataRecord).filter_by(batch_id=report.batch_id)
        ]  # fmt: skip
        uow.session.execute(text("CREATE TABLE copy_target (LIKE data_records INCLUDING DEFAULTS)"))
    started = time.perf_counter()
    _copy(
        engine, "copy_target",
        ["id", "resident_id", "kind", "start", "source", "received_at", "department", "source_id",
         "detail"], rows,
    )  # fmt: skip
    copied = time.perf_counter() - started

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
