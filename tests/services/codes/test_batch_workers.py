"""The rollover, a policy change and the day's top-up shared by two processes
(jobs/processes.py) write exactly what one process writes: the same colours, states,
states ahead, recheck times and history, on SQLite and PostgreSQL, from the generator's
population in databases of their own."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from healthcode.config import Settings
from healthcode.demo.population import generate_population
from healthcode.domain.clock import TZ, FixedClock, day_of, start_of
from healthcode.jobs.policy_change import policy_change
from healthcode.jobs.rollover import NIGHT, rollover, top_up_ahead
from healthcode.services.codes.batches import top_up
from healthcode.services.shared.env import Env, make_env
from healthcode.store import tables as t
from healthcode.store.batches import id_ranges
from healthcode.store.db import session_factory
from healthcode.store.migrate import upgrade
from healthcode.store.uow import UnitOfWorkFactory
from tests.conftest import PG_URL, own_database

NOW = datetime(2020, 3, 1, 10, 0, tzinfo=TZ)  # the population's instant
AT = datetime(2020, 3, 12, 0, 5, tzinfo=TZ)  # the rollover's instant, eleven days on


@pytest.fixture(params=["sqlite", "postgresql"])
def two(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[tuple[str, Engine]]]:
    """Two empty migrated databases, each with the URL a worker process opens."""
    kind: str = request.param
    with ExitStack() as stack:
        found = []
        for _ in range(2):
            name = f"hc_workers_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            engine = stack.enter_context(own_database(kind, tmp_path, name))
            upgrade(engine)
            url = (
                f"sqlite:///{tmp_path / f'{name}.db'}"
                if kind == "sqlite"
                else f"{PG_URL}?options=-csearch_path%3D{name}"
            )
            found.append((url, engine))
        yield found


def _populated(url: str, engine: Engine) -> tuple[UnitOfWorkFactory, Env]:
    settings = Settings(
        secret_key="test-secret-key", database_url=url, scheduler=False, argon2_time_cost=1
    )
    units = UnitOfWorkFactory(session_factory(engine))
    with units() as uow:
        generate_population(uow, make_env(settings, FixedClock(NOW)), residents=300, seed=7)
        # Forty green residents listed as close contacts in the morning, observed until
        # the 5th, their codes not looked at since: the rollover turns them red at the
        # record's arrival and green once the observation ends, history and all.
        listed = uow.session.scalars(
            select(t.Code.resident_id).where(t.Code.colour == "green")
            .order_by(t.Code.resident_id).limit(40)
        ).all()  # fmt: skip
        for n, resident_id in enumerate(listed):
            uow.add(
                t.DataRecord(
                    id=uuid.UUID(int=n + 1), resident_id=resident_id, kind="close_contact",
                    start=date(2020, 2, 28), end=date(2020, 3, 5), source="test",
                    received_at=NOW, department="health", source_id=f"W-{n}",
                )
            )  # fmt: skip
        uow.session.execute(
            update(t.Code).where(t.Code.resident_id.in_(listed)).values(recheck_at=NOW)
        )
    return units, make_env(settings, FixedClock(AT))


def _written(units: UnitOfWorkFactory) -> tuple[list[Any], list[Any]]:
    c, h = t.Code, t.ColourChange
    with units() as uow:
        codes = uow.session.execute(
            select(c.resident_id, c.policy_id, c.policy_version, c.colour, c.state,
                   c.ahead, c.recheck_at, c.history_seq).order_by(c.resident_id, c.policy_id)
        ).all()  # fmt: skip
        history = uow.session.execute(
            select(h.resident_id, h.seq, h.at, h.from_colour, h.to_colour, h.rule_ids,
                   h.cause, h.policy_version).order_by(h.resident_id, h.seq)
        ).all()  # fmt: skip
    return [tuple(row) for row in codes], [tuple(row) for row in history]


def test_two_processes_write_what_one_does(two: list[tuple[str, Engine]]) -> None:
    (one_units, one_env), (two_units, two_env) = (_populated(u, e) for u, e in two)
    before = _written(one_units)
    assert before == _written(two_units)  # the same seed: the same population

    alone = rollover(one_units, one_env, at=AT)
    shared = rollover(two_units, two_env, at=AT, workers=2)
    assert (shared.checked, shared.changed) == (alone.checked, alone.changed)
    assert alone.checked > 40
    assert alone.changed >= 40
    after = _written(one_units)
    assert after != before
    assert after == _written(two_units)

    for units in (one_units, two_units):  # every code evaluated under an older version
        with units() as uow:
            uow.session.execute(update(t.Code).values(policy_version="2020-02-01.1"))
    alone_policy = policy_change(one_units, one_env, policy_id="binzhou-code")
    shared_policy = policy_change(two_units, two_env, policy_id="binzhou-code", workers=2)
    assert alone_policy.checked == shared_policy.checked == 300
    assert _written(one_units) == _written(two_units)

    # a policy change writes no states ahead: that afternoon's top-up writes them for
    # every code due by the coming night (PostgreSQL; SQLite keeps none), each range's
    # codes by its own process
    for env in (one_env, two_env):
        assert isinstance(env.clock, FixedClock)
        env.clock.set(AT + timedelta(hours=15, minutes=30))
    alone_top_up = top_up_ahead(one_units, one_env)
    night = start_of(day_of(AT) + timedelta(days=1)) + NIGHT
    low = top_up(two_units, two_env, id_ranges(2)[0], before=night)  # the first range alone
    rest = top_up_ahead(two_units, two_env, workers=2)
    with two_units() as uow:
        ahead_kept = uow.code_batches.advances()  # PostgreSQL: states ahead kept
    if ahead_kept:
        assert 0 < low.checked < alone_top_up.checked
    assert low.checked + rest.checked == alone_top_up.checked
    assert _written(one_units) == _written(two_units)


@pytest.mark.parametrize("parts", [1, 2, 3, 7])
def test_the_ranges_hold_every_resident_once(parts: int) -> None:
    ranges = id_ranges(parts)
    assert len(ranges) == parts
    for resident in [
        uuid.UUID(int=0),
        uuid.UUID(int=(1 << 128) - 1),
        *(uuid.uuid4() for _ in range(200)),
    ]:
        holding = [
            r
            for r in ranges
            if (r.low is None or r.low <= resident) and (r.high is None or resident < r.high)
        ]
        assert len(holding) == 1


def test_no_range_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        id_ranges(0)
