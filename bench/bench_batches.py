"""Set-wise recolouring on PostgreSQL (issue 14 item 4, issue 13 item 4), in one run:

``batches.rollover``: codes re-evaluated per second by the daily rollover (the codes
due at the next midnight) against a plain ``UPDATE codes SET colour,
evaluated_at`` of the same codes. Target: at least 0.5 (at most 2 × the UPDATE).

``batches.policy_change``: codes recoloured per second by ``apply_policy`` after a
new policy version (every code evaluated under the old one) against the same plain
``UPDATE``. Target: at least 0.5.

The population is the generator's (``healthcode.demo.population``: profiles with
their declarations, daily reports, department records, codes and histories, written
with COPY) in a database of its own (``HEALTHCODE_BENCH_PG_URL``, default the test
server): ``HEALTHCODE_BENCH_BATCH_RESIDENTS`` residents (default 100,000). The
rollover runs at five past the next midnight and takes the codes due then; the
baseline updates the same codes (``recheck_at <= at``). Each path is timed once, its
baseline just before it. ``imports.recolour`` (bench_imports.py) measures the import
path, which runs the same code.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from typing import Any

from sqlalchemy import create_engine, text

from bench.bench_imports import _drop, _fresh_database
from bench.core import Benchmark, Result, Settings
from healthcode.config import Settings as AppSettings
from healthcode.demo.population import generate_population
from healthcode.domain.clock import TZ, FixedClock
from healthcode.jobs.rollover import rollover
from healthcode.services.codes.batches import apply_policy
from healthcode.services.shared.env import Env, make_env
from healthcode.store.db import session_factory
from healthcode.store.migrate import upgrade
from healthcode.store.uow import UnitOfWorkFactory

RESIDENTS = int(os.environ.get("HEALTHCODE_BENCH_BATCH_RESIDENTS", "100000"))
NOW = datetime(2020, 3, 1, 10, 0, tzinfo=TZ)  # the population's instant
AT = datetime(2020, 3, 2, 0, 5, tzinfo=TZ)  # five past the next midnight: the rollover's
POLICY = "binzhou-code"
TARGET = 0.5


def _population(units: UnitOfWorkFactory, env: Env, count: int) -> None:
    with units() as uow:
        generate_population(uow, env, residents=count, scans_per_resident=0.0)


def _baseline(engine: Any, where: str, params: dict[str, Any]) -> tuple[int, float]:
    """A plain UPDATE of the same codes: how many, and the seconds it took."""
    started = time.perf_counter()
    with engine.begin() as c:
        done = c.execute(
            text(f"UPDATE codes SET colour = colour, evaluated_at = now() WHERE {where}"), params
        )
    return done.rowcount, time.perf_counter() - started


def _vacuum(engine: Any) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE"))


def run(settings: Settings) -> list[Result]:
    url = _fresh_database()
    engine = create_engine(url)
    try:
        upgrade(engine)
        units = UnitOfWorkFactory(session_factory(engine))
        _population(units, _env(url, NOW), RESIDENTS)
        _vacuum(engine)

        # the rollover: the codes due at five past midnight (a streak's or a report's day)
        due, rollover_baseline = _baseline(engine, "recheck_at <= :at", {"at": AT})
        _vacuum(engine)
        started = time.perf_counter()
        done = rollover(units, _env(url, AT), at=AT)
        rolled = time.perf_counter() - started
        assert done.checked == due, (done, due)

        # a policy change: every code was evaluated under an older version
        with engine.begin() as c:
            c.execute(text("UPDATE codes SET policy_version = '2020-02-01.1'"))
        _vacuum(engine)
        everyone, policy_baseline = _baseline(engine, "policy_id = :p", {"p": POLICY})
        _vacuum(engine)
        started = time.perf_counter()
        applied = apply_policy(units, _env(url, AT), policy_id=POLICY)
        changed = time.perf_counter() - started
        assert applied.checked == everyone, (applied, everyone)
    finally:
        engine.dispose()
        _drop(url)
    return [
        Result("batches.rollover", due / rolled, "codes/s", baseline=due / rollover_baseline,
               target=TARGET),
        Result("batches.policy_change", everyone / changed, "codes/s",
               baseline=everyone / policy_baseline, target=TARGET),
    ]  # fmt: skip


def _env(url: str, at: datetime) -> Env:
    settings = AppSettings(database_url=url, secret_key="bench-secret", scheduler=False)
    return make_env(settings, FixedClock(at))


BENCHMARK = Benchmark(
    "batches",
    f"set-wise recolouring on PostgreSQL ({RESIDENTS} residents): the rollover and a policy "
    "change, codes/s vs a plain UPDATE of the same codes",
    run,
)
