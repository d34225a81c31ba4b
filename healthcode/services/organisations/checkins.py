"""Employers' twice-daily staff check-ins (seed 003 §三: 每日早晚两次人体测温、健康打卡).

A check-in is a temperature and whether the person has symptoms, for the window open
now (morning or evening, the employer's own windows or the defaults). The employee
reports it on their phone (for the employers whose roster holds their ID number and
whose window is open: ``check_in`` says which) or the employer's staff enters it for
them at the entrance. One check-in counts per employee and window: a second one
corrects the first, which is kept as history. A fever (at or above the policy's
``fever_threshold_c``, else 37.3 ℃) or a symptom flags the person and tells the
employer's administrators.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from healthcode.domain.checkins import (
    DEFAULT_FEVER_C,
    DEFAULT_WINDOWS,
    Status,
    Window,
    Windows,
    check_temperature,
    current_window,
    hhmm,
    is_flagged,
    parse_windows,
    status_of,
)
from healthcode.domain.clock import day_of
from healthcode.domain.errors import FieldError, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.notices import events
from healthcode.services.organisations.roster import EMPLOYER
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

SELF, STAFF = "self", "staff"
MAX_ENTRIES = 1000  # one entrance's list in one go
EMPLOYER_POLICY = "binzhou-code"  # seed 003's code, whose fever line employers apply
T = TypeVar("T")


@dataclass(frozen=True)
class Entry:
    """One person's reading as the staff enters it."""

    employee_id: uuid.UUID
    temperature: float
    symptoms: bool


@dataclass(frozen=True)
class Recorded:
    employee_id: uuid.UUID
    name: str
    organisation_id: uuid.UUID  # the employer it counts for
    organisation: str
    day: date
    window: Window
    temperature: float
    symptoms: bool
    flagged: bool
    corrected: bool  # it replaced an earlier check-in of the same window
    at: datetime


@dataclass(frozen=True)
class Opening:
    """The next window to open, when none is open: today's evening or tomorrow's morning."""

    window: Window
    at: datetime
    tomorrow: bool


@dataclass(frozen=True)
class EmployerToday:
    """One employer's line on the start page. ``latest`` is the window open now, else
    today's last one that has closed (None before the morning's opens): a closed
    morning still says whether it was done, which one line for every employer lost."""

    organisation_id: uuid.UUID
    name: str
    windows: Windows
    window: Window | None  # open now
    latest: Window | None
    status: Status | None  # latest's: open, done, flagged or missing
    done: Recorded | None  # latest's current check-in
    next: Opening | None  # when none is open

    @property
    def until(self) -> str:
        """When ``latest`` closes, as the windows are written ("24:00" for midnight)."""
        w = self.windows
        return hhmm(w.morning_until if self.latest is Window.MORNING else w.evening_until)


@dataclass(frozen=True)
class TodayCheckin:
    """What a resident's start page shows: one line per employer whose roster holds
    them, by name. The single-employer fields (``window``, ``windows``, ``done``) are
    those of ``first``, as the page and the API showed them before there were lines."""

    lines: tuple[EmployerToday, ...]

    @property
    def employers(self) -> tuple[str, ...]:
        return tuple(line.name for line in self.lines)

    @property
    def first(self) -> EmployerToday:
        """The first employer whose window is open now, else the first."""
        return next((line for line in self.lines if line.window), self.lines[0])

    @property
    def window(self) -> Window | None:
        return self.first.window

    @property
    def windows(self) -> Windows:
        return self.first.windows

    @property
    def done(self) -> Recorded | None:
        """The open window's check-in, if any (None between windows)."""
        return self.first.done if self.first.window else None

    @property
    def takers(self) -> tuple[EmployerToday, ...]:
        """The employers a check-in sent now is recorded for (``check_in``'s rule)."""
        open_now = [(line, line.done is not None) for line in self.lines if line.window]
        return tuple(_takers(open_now))


def viewable_employer(
    uow: UnitOfWork, who: Principal, organisation_id: uuid.UUID
) -> t.Organisation:
    """The employer whose staff ``who`` may see: its own administrators, those of the
    community or village it sits in, and administrators of a region covering it.
    Anything else is not found."""
    found = uow.organisations.by_id(organisation_id)
    scope = who.scope(Permission.STAFF_MANAGE)
    if found is None or found.kind != EMPLOYER:
        raise NotFound(N_("No such employer"))
    governing = found.parent_id is not None and found.parent_id in scope.organisations
    if not (governing or scope.covers(organisation_id=found.id, region_code=found.region_code)):
        raise NotFound(N_("No such employer"))
    return found


def windows_of(uow: UnitOfWork, organisation_id: uuid.UUID) -> Windows:
    row = uow.checkins.windows(organisation_id)
    if row is None:
        return DEFAULT_WINDOWS
    return parse_windows(row.morning_from, row.morning_until, row.evening_from, row.evening_until)


def fever_line(env: Env) -> float:
    """The fever line the employer's code policy names, else the seeds' 37.3 ℃."""
    policy = env.policies.get(EMPLOYER_POLICY)
    value = policy.params.get("fever_threshold_c") if policy is not None else None
    return float(value) if isinstance(value, int | float) else DEFAULT_FEVER_C


def set_windows(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    organisation_id: uuid.UUID,
    morning: tuple[str, str],
    evening: tuple[str, str],
) -> Windows:
    """An employer's administrator sets its check-in windows."""
    employer = viewable_employer(uow, who, organisation_id)
    windows = parse_windows(*morning, *evening)
    row = uow.checkins.windows(employer.id)
    if row is None:
        row = t.CheckinWindows(organisation_id=employer.id)
        uow.add(row)
    row.morning_from = hhmm(windows.morning_from)
    row.morning_until = hhmm(windows.morning_until)
    row.evening_from = hhmm(windows.evening_from)
    row.evening_until = hhmm(windows.evening_until)
    row.updated_by, row.updated_at = who.account_id, env.clock.now()
    uow.flush()
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action="employer.checkin_windows.set",
        detail={
            "organisation_id": str(employer.id),
            "morning": list(morning),
            "evening": list(evening),
        },
    )
    return windows


def enter_checkins(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    organisation_id: uuid.UUID,
    entries: Sequence[Entry],
    unread: Sequence[FieldError] = (),
) -> tuple[Recorded, ...]:
    """The employer's staff enters readings for the window open now. Every entry is
    checked first (each refusal names its row); none is written unless all are good.
    ``unread`` are the rows the edge could not read (a temperature that is not a
    number): they are refused with the entries' own errors, so the guard sees every
    row's error in one round, not one kind at a time."""
    employer = viewable_employer(uow, who, organisation_id)
    now = env.clock.now()
    window = current_window(windows_of(uow, employer.id), now)
    if not entries and not unread:
        raise InvalidInput.single(
            "entries", "empty", N_("Type at least one temperature before saving")
        )
    if len(entries) > MAX_ENTRIES:
        raise InvalidInput.single(
            "entries", "count", N_("At most {count} readings at a time"), count=MAX_ENTRIES
        )
    staff = {e.id: e for e, _resident in uow.checkins.staff(employer.id)}
    errors: list[FieldError] = list(unread)
    first: dict[uuid.UUID, int] = {}  # each person's first row
    for index, entry in enumerate(entries):
        row = f"entries[{index}]"  # as the request's own errors name it (``field_path``)
        if entry.employee_id not in staff:
            errors.append(
                FieldError(f"{row}.employee_id", "unknown", N_("Not on this employer's staff list"))
            )
        elif (at := first.setdefault(entry.employee_id, index)) != index:
            errors.append(
                FieldError(
                    f"{row}.employee_id",
                    "duplicate",
                    N_("The same person is on row {row}: type each reading once"),
                    {"row": at + 1},
                )
            )
        try:
            check_temperature(entry.temperature, field=f"{row}.temperature")
        except InvalidInput as error:
            errors.extend(error.errors)
    if errors:
        raise InvalidInput(*errors)
    # recorded in employee-id order, so two lists saved at once lock their rows in one
    # order and never deadlock; answered in the list's order
    done: dict[int, Recorded] = {}
    for index in sorted(range(len(entries)), key=lambda i: str(entries[i].employee_id)):
        e = entries[index]
        done[index] = _record(
            uow, env, employer, staff[e.employee_id], window, e.temperature, e.symptoms,
            STAFF, who.account_id,
        )  # fmt: skip
    return tuple(done[i] for i in range(len(entries)))


def check_in(
    uow: UnitOfWork, env: Env, who: Principal, *, temperature: float, symptoms: bool
) -> tuple[Recorded, ...]:
    """A resident reports their own reading. Of the employers whose roster holds them
    and whose window is open now, it is recorded for those with no check-in yet in that
    window; only when every open window is done already is it a correction, of all of
    them. So a check-in to be counted by a second employer leaves the first one's
    reading alone (it silently replaced it). With none open it is refused naming the
    windows. The choice is made under the employees' row locks, so two at once act as
    one after the other. The answer names the employer of each reading."""
    temperature = check_temperature(temperature)
    rosters = _rosters(uow, who)
    if not rosters:
        raise NotFound(N_("You are not on any employer's staff list"))
    now = env.clock.now()
    held = _with_windows(uow, rosters)
    open_now = [
        (employee, employer, window)
        for employee, employer, windows in held
        if (window := windows.open_at(now)) is not None
    ]
    if not open_now:
        current_window(held[0][2], now)  # raises: says when
    for employee, _employer, _window in open_now:  # in the rosters' order: no deadlock
        uow.checkins.lock_employee(employee.id)
    day = day_of(now)
    chosen = _takers(
        [((e, o, w), uow.checkins.current(e.id, day, w.value) is not None) for e, o, w in open_now]
    )
    return tuple(
        _record(uow, env, employer, employee, window, temperature, symptoms, SELF, who.account_id)
        for employee, employer, window in chosen
    )


def today_checkin(uow: UnitOfWork, env: Env, who: Principal) -> TodayCheckin | None:
    """The start page's "today's check-in" for a resident on a roster, one line per
    employer (None on no roster): one employer's window and state for all of them hid
    another's morning, done or missed, and its own windows."""
    rosters = _rosters(uow, who)
    if not rosters:
        return None
    now = env.clock.now()
    return TodayCheckin(
        tuple(_line(uow, e, o, windows, now) for e, o, windows in _with_windows(uow, rosters))
    )


def _takers(open_now: Sequence[tuple[T, bool]]) -> list[T]:
    """Of the employers open now, each with whether its window is done: the undone
    ones; when all are done, all of them (a correction)."""
    undone = [item for item, done in open_now if not done]
    return undone or [item for item, _done in open_now]


def _line(
    uow: UnitOfWork, employee: t.Employee, employer: t.Organisation, windows: Windows, now: datetime
) -> EmployerToday:
    day = day_of(now)
    begun = [w for w in Window if windows.bounds(w, day)[0] <= now]
    latest = begun[-1] if begun else None
    row = uow.checkins.current(employee.id, day, latest.value) if latest else None
    done = _recorded(row, employee, employer, corrected=False) if row is not None else None
    flagged = done.flagged if done is not None else None
    window = windows.open_at(now)
    return EmployerToday(
        organisation_id=employer.id,
        name=employer.name,
        windows=windows,
        window=window,
        latest=latest,
        status=status_of(windows, latest, day, now, flagged) if latest else None,
        done=done,
        next=None if window else _opening(windows, now),
    )


def _opening(windows: Windows, now: datetime) -> Opening:
    """The next window to open after ``now`` (none being open)."""
    day = day_of(now)
    later = [w for w in Window if windows.bounds(w, day)[0] > now]
    if later:
        return Opening(later[0], windows.bounds(later[0], day)[0], tomorrow=False)
    tomorrow = day + timedelta(days=1)
    return Opening(Window.MORNING, windows.bounds(Window.MORNING, tomorrow)[0], tomorrow=True)


def _with_windows(
    uow: UnitOfWork, rosters: Sequence[tuple[t.Employee, t.Organisation]]
) -> list[tuple[t.Employee, t.Organisation, Windows]]:
    """Each roster row with its employer's windows, read once."""
    return [(employee, employer, windows_of(uow, employer.id)) for employee, employer in rosters]


def _rosters(uow: UnitOfWork, who: Principal) -> Sequence[tuple[t.Employee, t.Organisation]]:
    resident = uow.residents.by_id(who.resident_id) if who.resident_id else None
    return uow.checkins.rosters_of(resident.id_hash) if resident is not None else ()


def _record(
    uow: UnitOfWork,
    env: Env,
    employer: t.Organisation,
    employee: t.Employee,
    window: Window,
    temperature: float,
    symptoms: bool,
    source: str,
    actor_id: uuid.UUID,
) -> Recorded:
    now = env.clock.now()
    day = day_of(now)
    locked = uow.checkins.lock_employee(employee.id)
    if locked is None or locked.removed_at is not None:  # taken off while this waited
        raise NotFound(N_("Not on this employer's staff list"))
    earlier = uow.checkins.current(employee.id, day, window.value)
    if earlier is not None:
        earlier.superseded_at = now
        uow.flush()
    reading = check_temperature(temperature)
    row = t.Checkin(
        id=uuid.uuid4(),
        organisation_id=employer.id,
        employee_id=employee.id,
        day=day,
        window=window.value,
        temperature=reading,
        symptoms=symptoms,
        flagged=is_flagged(reading, symptoms, fever_line(env)),
        source=source,
        recorded_by=actor_id,
        at=now,
    )
    uow.add(row)
    uow.flush()
    if row.flagged and not (earlier is not None and earlier.flagged):
        events.checkin_flagged(
            uow,
            env,
            organisation_id=employer.id,
            organisation_name=employer.name,
            checkin_id=row.id,
            name=employee.name,
            window=window.value,
            temperature=reading,
            symptoms=symptoms,
        )
    return _recorded(row, employee, employer, corrected=earlier is not None)


def _recorded(
    row: t.Checkin, employee: t.Employee, employer: t.Organisation, *, corrected: bool
) -> Recorded:
    return Recorded(
        employee.id,
        employee.name,
        employer.id,
        employer.name,
        row.day,
        Window(row.window),
        row.temperature,
        row.symptoms,
        row.flagged,
        corrected,
        row.at,
    )
