"""Daily colour statistics by county: counts only, small counts suppressed.

For a day D (Asia/Shanghai), every code's colour at the end of D (its last recorded
change before midnight) is counted per county (the resident's region code), code
type and colour. No personal data leaves: no names, no ID numbers, no per-resident
rows. The files are published day after day, so one person's change must not show
between two of them: every colour a code type has is listed for each county with
codes of that type, a count below ``stats_min_count`` (zero included) is suppressed
(written empty, marked ``suppressed``), the others are rounded to a multiple of
``stats_round_to``, and no per-county total is published. Until stop 44 zeros were
left out and counts were exact: a county's green 24 then 23, with a suppressed red
appearing, told that one person there had turned red that day (an outside probe).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

from healthcode.domain.clock import start_of
from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.policy import Model
from healthcode.files import private_dir
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork

COLUMNS = ("day", "county", "code_type", "colour", "count", "suppressed")


@dataclass(frozen=True)
class Cell:
    county: str
    code_type: str
    colour: Colour
    count: int | None  # None: suppressed (fewer than the threshold, but some)

    @property
    def suppressed(self) -> bool:
        return self.count is None


@dataclass(frozen=True)
class DayStatistics:
    day: date
    threshold: int
    cells: tuple[Cell, ...]


def colour_statistics(uow: UnitOfWork, env: Env, *, day: date) -> DayStatistics:
    """Each county's codes by colour at the end of ``day``, small counts suppressed;
    a day that has not ended has no such figures yet (they would change by midnight)."""
    end = start_of(day + timedelta(days=1))
    if end > env.clock.now():
        raise InvalidInput.single(
            "day",
            "day_not_over",
            N_("The figures of {day} are its colours at midnight: ask again once it has ended"),
            day=day.isoformat(),
        )
    threshold, base = env.settings.stats_min_count, env.settings.stats_round_to
    counts: dict[tuple[str, str], dict[Colour, int]] = {}
    for county, code_type, colour, count in uow.colour_statistics.counts_at(end):
        if colour != Colour.NONE.value and count > 0:
            counts.setdefault((county, code_type), {})[Colour(colour)] = count
    cells = tuple(
        Cell(county, code_type, colour, _published(found.get(colour, 0), threshold, base))
        for (county, code_type), found in sorted(counts.items())
        for colour in _colours(env, code_type)
    )
    return DayStatistics(day, threshold, cells)


def _colours(env: Env, code_type: str) -> tuple[Colour, ...]:
    """Every colour a code of this type can have: a pass is pending until signed."""
    policy = env.policies.get(code_type)
    pending = policy is not None and policy.model is Model.PASS
    return ((Colour.PENDING,) if pending else ()) + (Colour.GREEN, Colour.YELLOW, Colour.RED)


def _published(count: int, threshold: int, base: int) -> int | None:
    """Suppressed below the threshold (None), else rounded half up to a multiple of
    ``base``, never to 0 (a threshold set below the base would publish people as
    none): a change of one person moves a figure only across a rounding edge."""
    if count < threshold:
        return None
    return max(base, (count + base // 2) // base * base)


def export_statistics(
    uow: UnitOfWork, env: Env, *, day: date, directory: Path | None = None
) -> Path:
    """Write the day's statistics as CSV (``colour-stats-<day>.csv``); a file already
    there is replaced whole (written aside, then renamed), so a reader never sees half."""
    stats = colour_statistics(uow, env, day=day)
    folder = directory or Path(env.settings.stats_dir)
    private_dir(folder)
    target = folder / f"colour-stats-{day.isoformat()}.csv"
    partial = target.with_suffix(".csv.part")
    with partial.open("w", newline="", encoding="utf-8") as out:
        _write(out, stats.day, stats.cells)
    os.replace(partial, target)
    return target


def _write(out: TextIO, day: date, cells: Sequence[Cell]) -> None:
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for cell in cells:
        count = "" if cell.count is None else str(cell.count)
        writer.writerow(
            (day.isoformat(), cell.county, cell.code_type, cell.colour.value, count,
             "1" if cell.suppressed else "0")
        )  # fmt: skip
