"""Daily colour statistics by county: counts only, small counts suppressed."""

from __future__ import annotations

import csv
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput
from healthcode.services.shared.env import Env
from healthcode.services.sharing.statistics import colour_statistics, export_statistics
from healthcode.store.uow import UnitOfWork
from tests.factories.appeals import close_contact, resident

DAY = date(2020, 2, 23)  # the test clock's day
COUNTY = "371602"


def population(uow: UnitOfWork, env: Env, greens: int) -> list[uuid.UUID]:
    return [resident(uow, env, phone=f"1380000{n:04d}")[1] for n in range(greens)]


def cells(uow: UnitOfWork, env: Env, day: date) -> dict[tuple[str, Colour], int | None]:
    found = colour_statistics(uow, env, day=day).cells
    return {(c.county, c.colour): c.count for c in found if c.code_type == "binzhou-code"}


def exact(env: Env, least: int) -> None:
    """Counts as they are from ``least`` on (no rounding), to follow single people."""
    env.settings = env.settings.model_copy(update={"stats_min_count": least, "stats_round_to": 1})


NONE_ELSE = {(COUNTY, Colour.YELLOW): None, (COUNTY, Colour.RED): None}


def next_day(env: Env) -> None:
    env.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]


def test_a_day_not_yet_ended_has_no_figures(uow: UnitOfWork, env: Env) -> None:
    """They are each code's colour at the day's midnight: asked before it, they would
    change by then (found asking for tomorrow's from the command line)."""
    exact(env, 1)
    population(uow, env, 1)
    for day in (DAY, DAY + timedelta(days=30)):
        with pytest.raises(InvalidInput) as refused:
            colour_statistics(uow, env, day=day)
        assert [(e.field, e.code) for e in refused.value.errors] == [("day", "day_not_over")]
    next_day(env)
    assert cells(uow, env, DAY) == {(COUNTY, Colour.GREEN): 1} | NONE_ELSE


def test_counts_per_county_with_small_counts_suppressed(uow: UnitOfWork, env: Env) -> None:
    exact(env, 3)
    people = population(uow, env, 4)
    close_contact(uow, env, people[0])  # one red: fewer than 3, suppressed
    next_day(env)

    assert cells(uow, env, DAY) == {(COUNTY, Colour.GREEN): 3} | NONE_ELSE
    assert cells(uow, env, DAY - timedelta(days=1)) == {}  # nobody had a code yet


def test_a_day_counts_the_colour_at_its_end(uow: UnitOfWork, env: Env) -> None:
    exact(env, 1)
    people = population(uow, env, 2)
    next_day(env)
    close_contact(uow, env, people[0])
    next_day(env)

    assert cells(uow, env, DAY) == {(COUNTY, Colour.GREEN): 2} | NONE_ELSE
    assert cells(uow, env, DAY + timedelta(days=1)) == {
        (COUNTY, Colour.GREEN): 1,
        (COUNTY, Colour.YELLOW): None,  # none: below 1, as any count below the threshold
        (COUNTY, Colour.RED): 1,
    }


def test_the_export_holds_counts_and_no_personal_data(
    uow: UnitOfWork, env: Env, tmp_path: Path
) -> None:
    exact(env, 3)
    people = population(uow, env, 4)
    close_contact(uow, env, people[0])
    next_day(env)

    path = export_statistics(uow, env, day=DAY, directory=tmp_path)

    assert path.name == "colour-stats-2020-02-23.csv"
    text = path.read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    assert [(r["county"], r["colour"], r["count"], r["suppressed"]) for r in rows] == [
        (COUNTY, "green", "3", "0"),
        (COUNTY, "yellow", "", "1"),
        (COUNTY, "red", "", "1"),
    ]
    assert "张三" not in text
    assert not any(len(w) == 18 for w in text.replace(",", " ").split())
    assert not list(tmp_path.glob("*.part"))


def test_one_persons_change_does_not_show_between_two_days(uow: UnitOfWork, env: Env) -> None:
    """Stop 44, an outside probe: green 24 then 23, and a suppressed red appearing,
    told that one person of the county had turned red that day. Every colour is listed
    (zeros suppressed too) and counts are rounded: both days read the same."""
    people = population(uow, env, 24)
    next_day(env)
    close_contact(uow, env, people[0])
    next_day(env)
    before, after = cells(uow, env, DAY), cells(uow, env, DAY + timedelta(days=1))
    assert before == after == {(COUNTY, Colour.GREEN): 25} | NONE_ELSE


def test_a_count_at_the_threshold_is_never_published_as_none(uow: UnitOfWork, env: Env) -> None:
    """A threshold set below the rounding base: one green code reads 5, not 0."""
    env.settings = env.settings.model_copy(update={"stats_min_count": 1, "stats_round_to": 5})
    population(uow, env, 1)
    next_day(env)
    assert cells(uow, env, DAY) == {(COUNTY, Colour.GREEN): 5} | NONE_ELSE
