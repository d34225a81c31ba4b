"""The generated population: what the engine would say of every resident, written
with COPY (PostgreSQL) or multi-row INSERT (SQLite), repeatable from its seed."""

from __future__ import annotations

import random
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from healthcode.demo.load import DemoNotEmpty
from healthcode.demo.population import generate_population, id_number_of, refuse_if_not_empty
from healthcode.domain.identity.id_number import parse_id_number
from healthcode.services.codes.recolour import Cause, recolour
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

RESIDENTS = 400


def _count(uow: UnitOfWork, table: type[t.Base]) -> int:
    return uow.session.scalar(select(func.count()).select_from(table)) or 0


def test_id_numbers_are_valid_distinct_and_repeatable() -> None:
    numbers = [id_number_of(n) for n in range(5000)]
    assert len(set(numbers)) == len(numbers)
    for number in random.Random(1).sample(numbers, 200):
        assert parse_id_number(number, today=date(2020, 2, 23)).value == number
    assert id_number_of(4321) == numbers[4321]


def test_every_table_filled_and_colours_as_the_engine_gives_them(uow: UnitOfWork, env: Env) -> None:
    summary = generate_population(uow, env, residents=RESIDENTS, seed=7)
    assert summary.residents == RESIDENTS == _count(uow, t.Resident)
    for table in (t.Declaration, t.Code, t.ColourChange, t.DailyReport, t.DataRecord, t.Scan):
        assert _count(uow, table) == summary.rows[table.__tablename__] > 0
    assert set(summary.colours) == {"green", "yellow", "red"}
    assert summary.colours["green"] > RESIDENTS * 0.7
    # A sample recoloured by the services, from the rows written: nothing changes.
    codes = uow.session.scalars(select(t.Code).order_by(t.Code.id)).all()
    policy = env.policies.find("binzhou-code")
    for code in random.Random(3).sample(list(codes), 40):
        stored = (code.colour, dict(code.state), code.recheck_at, code.history_seq)
        state = recolour(uow, env, resident_id=code.resident_id, policy=policy, cause=Cause.TIME)
        assert state.colour.value == stored[0]
        assert (code.colour, code.state, code.recheck_at, code.history_seq) == stored


def test_a_red_resident_has_a_history_naming_the_record(uow: UnitOfWork, env: Env) -> None:
    generate_population(uow, env, residents=RESIDENTS, seed=7)
    red = uow.session.scalars(select(t.Code).where(t.Code.colour == "red")).first()
    assert red is not None
    history = uow.codes.history(red.id)
    assert [h.to_colour for h in reversed(history)][-1] == "red"
    assert history[0].cause == "data"
    assert history[0].rule_ids
    reason = red.state["reasons"][0]
    record = uow.data_records.by_id(uuid.UUID(reason["evidence"][0]["id"]))
    assert record is not None
    assert record.resident_id == red.resident_id


def test_the_same_seed_gives_the_same_people(uow: UnitOfWork, env: Env) -> None:
    first = generate_population(uow, env, residents=50, seed=11)
    names = uow.session.scalars(select(t.Resident.name).order_by(t.Resident.id_hash)).all()
    uow.rollback()
    second = generate_population(uow, env, residents=50, seed=11)
    again = uow.session.scalars(select(t.Resident.name).order_by(t.Resident.id_hash)).all()
    assert (first.colours, names) == (second.colours, again)


def test_only_into_an_empty_database(uow: UnitOfWork, env: Env) -> None:
    generate_population(uow, env, residents=5)
    with pytest.raises(DemoNotEmpty):
        refuse_if_not_empty(uow)
