"""Set-wise recolouring on PostgreSQL (issue 14 item 4, issue 13 item 4), in one run:

``batches.rollover``: codes rolled over per second by the daily rollover (the codes
due at the next midnight: moved along the states their evaluation wrote ahead, in
SQL, or evaluated where those do not reach; docs/batches.md, "States ahead") against
a plain ``UPDATE codes SET colour, evaluated_at`` of the same codes. Target: at least
0.5 (at most 2 × the UPDATE).

``batches.policy_change``: codes recoloured per second by ``apply_policy`` after a
new policy version that changed one rule (the health commission's close contacts:
its words), every code evaluated under the older version, recorded: the residents
with an item the rule holds on (a close-contact record) are evaluated again, the
other codes renamed (``policy_reach``), against the same plain ``UPDATE``. Target:
at least 0.5.

``batches.policy_reevaluate``: the same after a version with no record (or another
model, a parameter the engine reads itself: ``policy_reach``): every code evaluated
again. Target: at least 0.5.

``batches.policy_rename``: the same policy change when the codes' older version is
recorded with the text of the version in force (a version bumped for a title, say):
the codes are renamed without a new evaluation (docs/policies.md, Versions), against
the same plain ``UPDATE``. Target: at least 0.5.

``batches.rollover_after_top_up``: the night after those policy changes (whose
evaluations write no states ahead, so without a top-up every due code would take the
engine's path), its afternoon's top-up done first (``jobs/rollover.py:top_up_ahead``,
on as many processes as the night, its count and seconds logged, not timed): codes
rolled over per second against the same plain ``UPDATE`` of them. Target: at least
0.5.

``….workers_2``: the same jobs shared by two processes (``jobs/processes.py``),
unpinned (this machine's two cores, which PostgreSQL shares), on a fresh copy of the
same population, each against its own plain ``UPDATE``.

The population is the generator's (``healthcode.demo.population``: profiles with
their declarations, daily reports, department records, codes and histories, written
with COPY) in a database of its own (``HEALTHCODE_BENCH_PG_URL``, default the test
server): ``HEALTHCODE_BENCH_BATCH_RESIDENTS`` residents (default 1,000,000, the
issue's scale, so that ``make bench`` shows the target where it is set: 15 to 40
minutes with the two process counts, as fast as the machine is that day; 100,000
for a quick look, where the fixed statements of each job weigh more and the ratios
swing by a tenth, the rollover's to ~0.27); ``HEALTHCODE_BENCH_BATCH_JOBS`` names the
jobs to time (default all five). The
rollover runs at five past the next midnight and takes the codes due then; the
baseline updates the same codes (``recheck_at <= at``). Each path is timed once, its
baseline just before it. ``imports.recolour`` (bench_imports.py) measures the import
path, which runs the same code.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import text

from bench.bench_imports import _drop, _fresh_database, _vacuum
from bench.core import Benchmark, Result, Settings
from healthcode.config import Settings as AppSettings
from healthcode.demo.population import generate_population
from healthcode.domain.clock import TZ, FixedClock
from healthcode.domain.policy_content import canonical, canonical_text, fingerprint
from healthcode.jobs.policy_change import policy_change
from healthcode.jobs.rollover import rollover, top_up_ahead
from healthcode.services.shared.env import Env, make_env
from healthcode.store import tables as t
from healthcode.store.db import make_engine, session_factory
from healthcode.store.migrate import upgrade
from healthcode.store.uow import UnitOfWorkFactory

RESIDENTS = int(os.environ.get("HEALTHCODE_BENCH_BATCH_RESIDENTS", "1000000"))
ALL_JOBS = (
    "rollover,policy_change,policy_reevaluate,policy_rename,rollover_after_top_up"  # in order
)
JOBS = os.environ.get("HEALTHCODE_BENCH_BATCH_JOBS", ALL_JOBS).split(",")  # a 3 M rollover alone
NOW = datetime(2020, 3, 1, 10, 0, tzinfo=TZ)  # the population's instant
AT = datetime(2020, 3, 2, 0, 5, tzinfo=TZ)  # five past the next midnight: the rollover's
POLICY = "binzhou-code"
OLDER = "2020-02-01.2"  # a version that meant what the one in force means
CHANGED_RULE = "BZ-RED-RECORD-CONTACT"  # the rule the policy change rewords
TARGET = 0.5


def _population(units: UnitOfWorkFactory, env: Env, count: int) -> None:
    with units() as uow:
        generate_population(uow, env, residents=count, scans_per_resident=0.0)


def _baseline(engine: Any, where: str, params: dict[str, Any]) -> tuple[int, float]:
    """A plain UPDATE of the same codes: how many, and the seconds it took. Run once
    before and rolled back, so that it finds the pages in memory, as the job after it
    does: the first job's baseline on a fresh copy read them from disk, and the
    rollover's ratio at 100 k was 0.54 against that, 0.27 against a warm one (stop 39)."""
    statement = text(f"UPDATE codes SET colour = colour, evaluated_at = now() WHERE {where}")
    with engine.connect() as c, c.begin() as warming:
        c.execute(statement, params)
        warming.rollback()
    started = time.perf_counter()
    with engine.begin() as c:
        done = c.execute(statement, params)
    return done.rowcount, time.perf_counter() - started


def run(settings: Settings) -> list[Result]:
    source = _fresh_database()
    engine = make_engine(source)
    try:
        upgrade(engine)
        _population(UnitOfWorkFactory(session_factory(engine)), _env(source, NOW), RESIDENTS)
        _vacuum(engine)
        engine.dispose()
        results = []
        for workers in (1, 2):
            with _copy_of(source) as url, _all_cores() if workers > 1 else nullcontext():
                results += _timed(url, workers)
        return results
    finally:
        engine.dispose()
        _drop(source)


def _timed(url: str, workers: int) -> list[Result]:
    """The jobs of ``JOBS`` with ``workers`` processes, in order, each after its
    baseline, on a fresh copy of the population."""
    engine = make_engine(url)
    units = UnitOfWorkFactory(session_factory(engine))
    suffix = "" if workers == 1 else f".workers_{workers}"
    try:
        return [
            Result(f"batches.{name}{suffix}", codes / took, "codes/s",
                   baseline=codes / baseline, target=TARGET)
            for name, job in _JOBS.items() if name in JOBS
            for codes, took, baseline in [job(engine, units, url, workers)]
        ]  # fmt: skip
    finally:
        engine.dispose()


Timing = tuple[int, float, float]  # codes, seconds, the plain UPDATE's seconds
Done = TypeVar("Done")


def _rollover(engine: Any, units: UnitOfWorkFactory, url: str, workers: int) -> Timing:
    """The codes due at five past midnight (a streak's or a report's day)."""
    due, took, baseline, done = _against_baseline(
        engine, url, "recheck_at <= :at", {"at": AT},
        lambda env: rollover(units, env, at=AT, workers=workers),
    )  # fmt: skip
    assert done.checked == due, (done, due)
    return due, took, baseline


def _policy_change(engine: Any, units: UnitOfWorkFactory, url: str, workers: int) -> Timing:
    """Every code was evaluated under an older version whose close-contact rule said
    other words."""
    _as_older(engine, units, _env(url, AT), "2020-02-01.3", _reworded)
    return _applied(engine, units, url, workers, renamed=True)


def _policy_reevaluate(engine: Any, units: UnitOfWorkFactory, url: str, workers: int) -> Timing:
    """Every code was evaluated under an older version with no record."""
    with engine.begin() as c:
        c.execute(text("UPDATE codes SET policy_version = '2020-02-01.1'"))
    return _applied(engine, units, url, workers, renamed=False)


def _applied(
    engine: Any, units: UnitOfWorkFactory, url: str, workers: int, *, renamed: bool
) -> Timing:
    _vacuum(engine)
    everyone, took, baseline, applied = _against_baseline(
        engine, url, "policy_id = :p", {"p": POLICY},
        lambda env: policy_change(units, env, policy_id=POLICY, workers=workers),
    )  # fmt: skip
    assert applied.checked + applied.relabelled == everyone, (applied, everyone)
    assert bool(applied.relabelled) == renamed, applied
    return everyone, took, baseline


def _policy_rename(engine: Any, units: UnitOfWorkFactory, url: str, workers: int) -> Timing:
    """A new version that means what the older one meant: the codes are renamed."""
    _as_older(engine, units, _env(url, AT), OLDER, lambda content: None)
    _vacuum(engine)
    everyone, took, baseline, renamed = _against_baseline(
        engine, url, "policy_id = :p", {"p": POLICY},
        lambda env: policy_change(units, env, policy_id=POLICY, workers=workers),
    )  # fmt: skip
    assert (renamed.checked, renamed.relabelled) == (0, everyone), (renamed, everyone)
    return everyone, took, baseline


def _rollover_after_top_up(engine: Any, units: UnitOfWorkFactory, url: str, workers: int) -> Timing:
    """The next night's due codes, topped up in the afternoon before."""
    night = AT + timedelta(days=1)
    afternoon = _env(url, night - timedelta(hours=8, minutes=35))
    top_up_ahead(units, afternoon, workers=workers)  # logs its figures
    due, took, baseline, done = _against_baseline(
        engine, url, "recheck_at <= :at", {"at": night},
        lambda env: rollover(units, env, at=night, workers=workers), at=night,
    )  # fmt: skip
    assert done.checked == due, (done, due)
    return due, took, baseline


def _against_baseline(
    engine: Any,
    url: str,
    where: str,
    params: dict[str, Any],
    job: Callable[[Env], Done],
    at: datetime = AT,
) -> tuple[int, float, float, Done]:
    """The plain ``UPDATE`` of the codes ``where`` selects (how many, its seconds), then
    ``job`` on an env at ``at`` built before its timer, as the baseline's engine is
    (its seconds and what it returned)."""
    codes, baseline = _baseline(engine, where, params)
    _vacuum(engine)
    env = _env(url, at)
    started = time.perf_counter()
    done = job(env)
    return codes, time.perf_counter() - started, baseline, done


_JOBS = {
    "rollover": _rollover,
    "policy_change": _policy_change,
    "policy_reevaluate": _policy_reevaluate,
    "policy_rename": _policy_rename,
    "rollover_after_top_up": _rollover_after_top_up,
}


def _as_older(
    engine: Any,
    units: UnitOfWorkFactory,
    env: Env,
    older: str,
    edit: Callable[[dict[str, Any]], None],
) -> None:
    """Every code as evaluated under ``older``, recorded with the text of the version
    in force as ``edit`` changes it (nothing: a version bumped for a title, say)."""
    content = json.loads(canonical_text(env.policies.find(POLICY)))
    content["version"] = older
    edit(content)
    recorded = canonical(content)
    with units() as uow:
        uow.add(
            t.PolicyVersion(
                policy_id=POLICY, version=older, fingerprint=fingerprint(recorded),
                content=recorded, first_seen_at=NOW,
            )
        )  # fmt: skip
    with engine.begin() as c:
        c.execute(text("UPDATE codes SET policy_version = :v"), {"v": older})


def _reworded(content: dict[str, Any]) -> None:
    rule = next(r for r in content["rules"] if r["id"] == CHANGED_RULE)
    rule["reason"] = {**rule["reason"], "en": "Listed as a close contact of a case."}


@contextmanager
def _copy_of(source: str) -> Iterator[str]:
    """A database made from ``source`` as a template (a file copy: no regeneration)."""
    name = source.rsplit("/", 1)[-1]
    url = _fresh_database(f"{name}_copy", template=name)
    try:
        yield url
    finally:
        _drop(url)


@contextmanager
def _all_cores() -> Iterator[None]:
    """Unpinned while worker processes start, so that they may use every core (they
    inherit this process's affinity); pinned again after."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    pinned = os.sched_getaffinity(0)
    os.sched_setaffinity(0, range(os.cpu_count() or 1))
    try:
        yield
    finally:
        os.sched_setaffinity(0, pinned)


def _env(url: str, at: datetime) -> Env:
    settings = AppSettings(database_url=url, secret_key="bench-secret", scheduler=False)
    return make_env(settings, FixedClock(at))


BENCHMARK = Benchmark(
    "batches",
    f"set-wise recolouring on PostgreSQL ({RESIDENTS} residents): the rollover and a policy "
    "change (one process, then two), codes/s vs a plain UPDATE of the same codes",
    run,
)
