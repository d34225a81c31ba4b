"""Set-wise recolouring on PostgreSQL (issue 14 item 4, issue 13 item 4), in one run:

``batches.rollover``: codes re-evaluated per second by the daily rollover (every code
due at the same midnight: the worst night) against a plain ``UPDATE codes SET colour,
evaluated_at`` of the same codes. Target: at least 0.5 (at most 2 × the UPDATE).

``batches.policy_change``: codes recoloured per second by ``apply_policy`` after a
new policy version (every code evaluated under the old one) against the same plain
``UPDATE``. Target: at least 0.5.

The population is written with COPY into a database of its own
(``HEALTHCODE_BENCH_PG_URL``, default the test server):
``HEALTHCODE_BENCH_BATCH_RESIDENTS`` residents (default 100,000), each with a
confirmed binzhou declaration and a code; of every ten, one reported a fever two days
ago (yellow, 14 normal days to go, daily reports since), one is a close contact in
a department record (red until released), one declared a trip out of the province
(yellow), the rest are green with a few normal reports. ``imports.recolour``
(bench_imports.py) measures the import path, which runs the same code.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, text

from bench.bench_imports import _copy, _drop, _fresh_database, id_number
from bench.core import Benchmark, Result, Settings
from healthcode.config import Settings as AppSettings
from healthcode.domain.clock import TZ, FixedClock
from healthcode.jobs.rollover import rollover
from healthcode.services.codes.batches import apply_policy
from healthcode.services.shared.env import Env, make_env
from healthcode.store.db import session_factory
from healthcode.store.migrate import upgrade
from healthcode.store.uow import UnitOfWorkFactory

RESIDENTS = int(os.environ.get("HEALTHCODE_BENCH_BATCH_RESIDENTS", "100000"))
AT = datetime(2020, 3, 1, 0, 5, tzinfo=TZ)  # five past midnight: the rollover's hour
POLICY, VERSION = "binzhou-code", "2020-02-23.1"
TARGET = 0.5


def _shape(n: int) -> str:
    return ("fever", "contact", "trip")[n % 10] if n % 10 < 3 else "green"


def _population(engine: Any, env: Env, count: int) -> None:
    """Residents, their facts and their codes, with COPY; every code due at AT."""
    ids = [uuid.uuid4() for _ in range(count)]
    day = AT.date()
    created = AT - timedelta(days=30)
    _copy(
        engine, "residents",
        ["id", "ref", "name", "name_masked", "id_type", "id_hash", "id_cipher", "id_masked",
         "sex", "birth_date", "nationality", "region_code", "address", "created_at"],
        (
            (rid, f"r{n:010d}", "张三", "*三", "resident_id",
             env.protector.keyed_hash(id_number(n), kind="id_number"), b"x", "371***", "M",
             date(1980, 1, 1), "CHN", "371602", "", created)
            for n, rid in enumerate(ids)
        ),
    )  # fmt: skip
    declared = AT - timedelta(days=20)
    trip = json.dumps([{"region": "110000", "end": (day - timedelta(days=5)).isoformat()}])
    _copy(
        engine, "declarations",
        ["id", "resident_id", "policy_id", "policy_version", "submitted_at", "confirmed_at",
         "temperature", "symptoms", "exposures", "trips", "destination_detail", "employer",
         "pledge", "checked_at"],
        (
            (uuid.uuid4(), rid, POLICY, VERSION, declared, declared, 36.5, "[]", "[]",
             trip if _shape(n) == "trip" else "[]", "", "", "v1", declared)
            for n, rid in enumerate(ids)
        ),
    )  # fmt: skip
    _copy(
        engine, "daily_reports",
        ["id", "resident_id", "policy_id", "reported_at", "day", "temperature", "symptoms",
         "exposures", "trips"],
        _reports(ids, day),
    )  # fmt: skip
    _copy(
        engine, "data_records",
        ["id", "resident_id", "kind", "start", "source", "received_at", "department",
         "source_id", "detail"],
        (
            (uuid.uuid4(), rid, "close_contact", day - timedelta(days=3), "bench",
             AT - timedelta(days=3), "health", f"BENCH-{n}", "")
            for n, rid in enumerate(ids) if _shape(n) == "contact"
        ),
    )  # fmt: skip
    state = {
        shape: json.dumps({"colour": colour, "reasons": []})
        for shape, colour in (("green", "green"), ("fever", "yellow"), ("contact", "red"),
                              ("trip", "yellow"))
    }  # fmt: skip
    _copy(
        engine, "codes",
        ["id", "resident_id", "policy_id", "policy_version", "colour", "state", "evaluated_at",
         "recheck_at", "history_seq"],
        (
            (uuid.uuid4(), rid, POLICY, VERSION, json.loads(state[_shape(n)])["colour"],
             state[_shape(n)], AT - timedelta(hours=1), AT - timedelta(minutes=5), 0)
            for n, rid in enumerate(ids)
        ),
    )  # fmt: skip


def _reports(ids: list[uuid.UUID], day: date) -> Iterator[tuple[Any, ...]]:
    """The fever cases: a fever two days ago, normal reports after; the green: three
    normal reports in the last days."""
    for n, rid in enumerate(ids):
        shape = _shape(n)
        if shape == "fever":
            days = [(2, 38.2), (1, 36.5)]
        elif shape == "green":
            days = [(3, 36.4), (2, 36.5), (1, 36.6)]
        else:
            continue
        for back, temperature in days:
            on = day - timedelta(days=back)
            at = datetime(on.year, on.month, on.day, 8, 0, tzinfo=TZ)
            yield (uuid.uuid4(), rid, POLICY, at, on, temperature, "[]", "[]", "[]")


def _baseline(engine: Any) -> float:
    """A plain UPDATE of the same codes: seconds."""
    started = time.perf_counter()
    with engine.begin() as c:
        c.execute(
            text("UPDATE codes SET colour = colour, evaluated_at = now() WHERE policy_id = :p"),
            {"p": POLICY},
        )
    return time.perf_counter() - started


def _vacuum(engine: Any) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE"))


def run(settings: Settings) -> list[Result]:
    url = _fresh_database()
    engine = create_engine(url)
    try:
        upgrade(engine)
        env = make_env(
            AppSettings(database_url=url, secret_key="bench-secret", scheduler=False),
            FixedClock(AT),
        )
        units = UnitOfWorkFactory(session_factory(engine))
        _population(engine, env, RESIDENTS)
        _vacuum(engine)

        started = time.perf_counter()
        done = rollover(units, env, at=AT)
        rolled = time.perf_counter() - started
        assert done.checked == RESIDENTS, done
        _vacuum(engine)
        rollover_baseline = _baseline(engine)

        with engine.begin() as c:  # a new policy version is in force: every code is older
            c.execute(text("UPDATE codes SET policy_version = '2020-02-01.1'"))
        _vacuum(engine)
        started = time.perf_counter()
        applied = apply_policy(units, env, policy_id=POLICY)
        changed = time.perf_counter() - started
        assert applied.checked == RESIDENTS, applied
        _vacuum(engine)
        policy_baseline = _baseline(engine)
    finally:
        engine.dispose()
        _drop(url)
    n = RESIDENTS
    return [
        Result("batches.rollover", n / rolled, "codes/s", baseline=n / rollover_baseline,
               target=TARGET),
        Result("batches.policy_change", n / changed, "codes/s", baseline=n / policy_baseline,
               target=TARGET),
    ]  # fmt: skip


BENCHMARK = Benchmark(
    "batches",
    f"set-wise recolouring on PostgreSQL ({RESIDENTS} residents): the rollover and a policy "
    "change, codes/s vs a plain UPDATE of the same codes",
    run,
)
