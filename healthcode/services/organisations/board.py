"""An employer's staff board (seed 003 §二–三): each person on its roster with the
colour of their code, today's morning and evening check-ins and what the colour
requires of the employer.

The colour comes from the person's code (``services/codes/standing.py``), never a
copy. The required action: green may work (not today if a check-in of today is
flagged); yellow 14 days of home or company quarantine; red centralised quarantine.
Only those who may work are expected to check in: another's empty window is "not at
work", not missing. A quarantine runs from the day the code took
its colour (the code's history) for the policy's ``quarantine_days`` (else 14,
seed 003 §二.三), and at least until the day the code is projected to turn green
(``domain/checkins.py:required_action``). Only the minimum is shown: name, department,
colour, check-in status and the action; every view is audit-logged.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from healthcode.domain.checkins import (
    QUARANTINE_DAYS,
    Action,
    Requirement,
    Status,
    Window,
    Windows,
    required_action,
    status_of,
)
from healthcode.domain.clock import day_of
from healthcode.domain.colour import Colour
from healthcode.domain.policy import Model
from healthcode.services.accounts.permissions import Principal
from healthcode.services.codes.standing import NO_CODE, Standing, standings_of
from healthcode.services.organisations.checkins import viewable_employer, windows_of
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork


class Only(StrEnum):
    """The board's filters."""

    ALL = "all"
    MISSING = "missing"  # a check-in of today is missing
    NOT_GREEN = "not_green"
    FLAGGED = "flagged"


@dataclass(frozen=True)
class Slot:
    status: Status
    temperature: float | None
    symptoms: bool | None


@dataclass(frozen=True)
class BoardRow:
    employee_id: uuid.UUID
    name: str
    department: str
    colour: Colour
    morning: Slot
    evening: Slot
    requirement: Requirement

    @property
    def missing(self) -> bool:
        return Status.MISSING in (self.morning.status, self.evening.status)

    @property
    def flagged(self) -> bool:
        return Status.FLAGGED in (self.morning.status, self.evening.status)


@dataclass(frozen=True)
class Board:
    organisation_id: uuid.UUID
    organisation_name: str
    day: date
    at: datetime
    windows: Windows
    counts: dict[str, int]  # total, per colour, missing, flagged, not_green, at_work
    only: Only
    rows: tuple[BoardRow, ...]


def show_board(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    organisation_id: uuid.UUID,
    only: Only = Only.ALL,
    client: str = "",
) -> Board:
    employer = viewable_employer(uow, who, organisation_id)
    now = env.clock.now()
    day, windows = day_of(now), windows_of(uow, employer.id)
    staff = uow.checkins.staff(employer.id)
    checkins = {(c.employee_id, c.window): c for c in uow.checkins.current_of_day(employer.id, day)}
    standings = standings_of(uow, env, resident_ids=[r for _e, r in staff if r is not None])
    rows = [
        _row(e, standings.get(r, NO_CODE) if r else NO_CODE, checkins, windows, day, now)
        for e, r in staff
    ]
    counts = _counts(rows)
    shown = tuple(row for row in rows if _keeps(row, only))
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action="employer.board.view",
        detail={"organisation_id": str(employer.id), "only": only.value, "rows": len(shown)},
        client=client,
    )
    return Board(employer.id, employer.name, day, now, windows, counts, only, shown)


def _row(
    employee: t.Employee,
    standing: Standing,
    checkins: dict[tuple[uuid.UUID, str], t.Checkin],
    windows: Windows,
    day: date,
    now: datetime,
) -> BoardRow:
    found = {w: checkins.get((employee.id, w.value)) for w in Window}
    days, model = QUARANTINE_DAYS, Model.HEALTH_CODE
    if standing.policy is not None:
        days = int(standing.policy.params.get("quarantine_days", QUARANTINE_DAYS))
        model = standing.policy.model
    requirement = required_action(
        standing.colour,
        since=standing.since,
        green_at=standing.green_at,
        days=days,
        model=model,
        flagged=any(c is not None and c.flagged for c in found.values()),
    )
    at_work = requirement.action is Action.WORK
    slots = [
        Slot(
            status_of(windows, w, day, now, c.flagged if c is not None else None, at_work=at_work),
            c.temperature if c is not None else None,
            c.symptoms if c is not None else None,
        )
        for w, c in found.items()
    ]
    morning, evening = slots
    return BoardRow(
        employee.id,
        employee.name,
        employee.department,
        standing.colour,
        morning,
        evening,
        requirement,
    )


def _counts(rows: list[BoardRow]) -> dict[str, int]:
    colours = Counter(row.colour.value for row in rows)
    return {
        "total": len(rows),
        "green": colours[Colour.GREEN.value],
        "yellow": colours[Colour.YELLOW.value],
        "red": colours[Colour.RED.value],
        "pending": colours[Colour.PENDING.value],
        "no_code": len(rows)
        - sum(colours[c.value] for c in (Colour.GREEN, Colour.YELLOW, Colour.RED, Colour.PENDING)),
        "not_green": sum(1 for row in rows if row.colour is not Colour.GREEN),
        "missing": sum(1 for row in rows if row.missing),
        "flagged": sum(1 for row in rows if row.flagged),
    }


def _keeps(row: BoardRow, only: Only) -> bool:
    if only is Only.MISSING:
        return row.missing
    if only is Only.NOT_GREEN:
        return row.colour is not Colour.GREEN
    if only is Only.FLAGGED:
        return row.flagged
    return True
