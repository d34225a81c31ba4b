"""Employers' twice-daily staff check-ins and what a colour requires of an employee
(seed 003 §二–三: 每日早晚两次人体测温、健康打卡; green may work, yellow 14 days of home or
company quarantine, red centralised quarantine).

Pure: the windows, the status of a window, when a reading is flagged and the action a
colour requires are decided here from values the caller passes in (the employer's
windows, the policy's fever line, the colour and when it began).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from healthcode.domain.clock import TZ, day_of, start_of
from healthcode.domain.colour import Colour
from healthcode.domain.errors import FieldError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.policy import Model
from healthcode.domain.temperature import check_range

DEFAULT_FEVER_C = 37.3  # seed 000: 发热（37.3℃以上）; a policy's fever_threshold_c wins
QUARANTINE_DAYS = 14  # seed 003 §二.三: 隔离14天; a policy's quarantine_days wins


class Window(StrEnum):
    MORNING = "morning"
    EVENING = "evening"


class Status(StrEnum):
    DONE = "done"
    FLAGGED = "flagged"
    MISSING = "missing"  # the window has closed without a check-in
    OPEN = "open"  # the window is open and nothing is in yet
    LATER = "later"  # the window has not opened yet
    # nothing is in and none is expected: the colour (or a flagged reading) keeps the
    # person from work, and the check-ins are of those at work (seed 003: 上岗人员每日早晚
    # 两次人体测温), so a quarantined person is not counted as missing one
    NOT_AT_WORK = "not_at_work"


END_OF_DAY = time.max  # "24:00": an evening window may run to midnight


def _ends_before(field: str, end: time) -> FieldError:
    if end == time(0, 0):  # midnight typed as the day's start
        return FieldError(field, "order", N_("For midnight, write 24:00"))
    return FieldError(field, "order", N_("The window must end after it starts"))


def hhmm(at: time) -> str:
    """A window's time as the forms and the API give it ("24:00" for midnight's end)."""
    return "24:00" if at == END_OF_DAY else f"{at:%H:%M}"


@dataclass(frozen=True)
class Windows:
    """When the morning and evening check-ins are taken (Asia/Shanghai wall clock)."""

    morning_from: time = time(6, 0)
    morning_until: time = time(10, 0)
    evening_from: time = time(17, 0)
    evening_until: time = time(21, 0)

    def bounds(self, window: Window, day: date) -> tuple[datetime, datetime]:
        start, end = (
            (self.morning_from, self.morning_until)
            if window is Window.MORNING
            else (self.evening_from, self.evening_until)
        )
        if end == END_OF_DAY:  # up to midnight, 23:59:30 included
            return datetime.combine(day, start, TZ), start_of(day + timedelta(days=1))
        return datetime.combine(day, start, TZ), datetime.combine(day, end, TZ)

    def open_at(self, at: datetime) -> Window | None:
        """The window open at an instant; None between windows and at night."""
        for window in Window:
            start, end = self.bounds(window, day_of(at))
            if start <= at < end:
                return window
        return None

    def label(self, window: Window) -> str:
        start, end = (
            (self.morning_from, self.morning_until)
            if window is Window.MORNING
            else (self.evening_from, self.evening_until)
        )
        return f"{hhmm(start)}–{hhmm(end)}"


DEFAULT_WINDOWS = Windows()


def parse_windows(
    morning_from: str, morning_until: str, evening_from: str, evening_until: str
) -> Windows:
    """Four "HH:MM" wall-clock times: each window starts before it ends, and the
    morning's ends no later than the evening's starts. Every problem at once."""
    errors: list[FieldError] = []
    parsed: dict[str, time | None] = {}
    for field, raw in (
        ("morning_from", morning_from),
        ("morning_until", morning_until),
        ("evening_from", evening_from),
        ("evening_until", evening_until),
    ):
        try:
            given = raw.strip()
            parsed[field] = (
                END_OF_DAY
                if given == "24:00"
                else time.fromisoformat(given)
                if len(given) == 5
                else None
            )
        except ValueError:
            parsed[field] = None
        if parsed[field] is None:
            errors.append(FieldError(field, "time", N_("Give a time as HH:MM, e.g. 07:30")))
    if errors:
        raise InvalidInput(*errors)
    w = Windows(**parsed)  # type: ignore[arg-type]
    if w.morning_from >= w.morning_until:
        errors.append(_ends_before("morning_until", w.morning_until))
    if w.evening_from >= w.evening_until:
        errors.append(_ends_before("evening_until", w.evening_until))
    if w.morning_until > w.evening_from:
        errors.append(
            FieldError(
                "evening_from", "overlap", N_("The evening window must start after the morning's")
            )
        )
    if errors:
        raise InvalidInput(*errors)
    return w


def current_window(windows: Windows, at: datetime, *, field: str = "window") -> Window:
    """The window a check-in made now belongs to; outside both it is refused."""
    window = windows.open_at(at)
    if window is None:
        raise InvalidInput.single(
            field,
            "closed",
            N_("No check-in is taken now: morning {morning}, evening {evening}"),
            morning=windows.label(Window.MORNING),
            evening=windows.label(Window.EVENING),
        )
    return window


def check_temperature(value: float, *, field: str = "temperature") -> float:
    """A body temperature in ℃, one decimal; outside 34–43 ℃ it is a typing error."""
    return round(check_range(value, field=field), 1)


def is_flagged(temperature: float, symptoms: bool, fever_c: float) -> bool:
    """A fever (at or above the policy's line) or any symptom flags the person."""
    return symptoms or temperature >= fever_c


def status_of(
    windows: Windows,
    window: Window,
    day: date,
    now: datetime,
    flagged: bool | None,
    *,
    at_work: bool = True,
) -> Status:
    """A window's status for one person: ``flagged`` is None when nothing is in;
    ``at_work``: whether the person's required action lets them work today."""
    if flagged is not None:
        return Status.FLAGGED if flagged else Status.DONE
    if not at_work:
        return Status.NOT_AT_WORK
    start, end = windows.bounds(window, day)
    if now >= end:
        return Status.MISSING
    return Status.OPEN if now >= start else Status.LATER


class Action(StrEnum):
    WORK = "work"  # green: may work
    # green, but a check-in of today has a fever or symptoms: "may work" beside 38.5 ℃
    # contradicted the reading on the same row
    SEE_A_DOCTOR = "see_a_doctor"
    HOME_QUARANTINE = "home_quarantine"  # yellow: 14 days at home or in company quarantine
    CENTRAL_QUARANTINE = "central_quarantine"  # red: a centralised quarantine site
    NO_CODE = "no_code"  # no code yet (or not linked to a resident): not before a green code
    UNDER_REVIEW = "under_review"  # a pass awaiting its issuer: not before a green code
    # Shandong's pass (seed 000): yellow 待行 "需要信息进一步完善核实后通行…或者健康通行卡已过期、
    # 需重新申报", red 禁行 "不满足出行条件，应向所在社区（村）或单位报告": no quarantine of days
    PASS_TO_COMPLETE = "pass_to_complete"
    PASS_NOT_MET = "pass_not_met"


ACTION_WORDS = {
    Action.WORK: N_("May work"),
    Action.SEE_A_DOCTOR: N_(
        "Fever or symptoms at today's check-in: not at work today; to a fever clinic"
    ),
    Action.HOME_QUARANTINE: N_("14-day home or company quarantine until {date}"),
    Action.CENTRAL_QUARANTINE: N_("Centralised quarantine until {date}"),
    Action.NO_CODE: N_("No health code yet: not at work until the code is green"),
    Action.UNDER_REVIEW: N_("Code under review: not at work until the code is green"),
    Action.PASS_TO_COMPLETE: N_(
        "Pass to be completed or renewed: not at work until it is green again"
    ),
    Action.PASS_NOT_MET: N_(
        "Pass conditions not met: not at work; the person reports to their community"
    ),
}


@dataclass(frozen=True)
class Requirement:
    action: Action
    until: date | None  # the last day of the quarantine

    @property
    def words(self) -> str:
        return ACTION_WORDS[self.action]


def required_action(
    colour: Colour,
    *,
    since: datetime | None,
    green_at: datetime | None,
    days: int = QUARANTINE_DAYS,
    model: Model = Model.HEALTH_CODE,
    flagged: bool = False,
) -> Requirement:
    """What the colour requires. Under the health code (seed 003 §二) a quarantine runs
    ``days`` calendar days from the day the code took its colour (``since``, from the
    code's history), and lasts at least until the day the code is projected to turn
    green (``green_at``, the code's next change): the later of the two is shown. A
    pass's yellow and red ask no quarantine of days (seed 000): a yellow pass is
    completed or applied for again, a red one is reported to the community. A green
    code with a ``flagged`` check-in today (a fever or symptoms) is kept from work for
    the day: the seeds are silent, and a manager reading "may work" beside a fever
    would send them in."""
    if colour is Colour.GREEN:
        return Requirement(Action.SEE_A_DOCTOR if flagged else Action.WORK, None)
    if colour is Colour.PENDING:  # a code they hold, not none (shown as 待审核 beside it)
        return Requirement(Action.UNDER_REVIEW, None)
    if colour not in (Colour.YELLOW, Colour.RED):
        return Requirement(Action.NO_CODE, None)
    if model is Model.PASS:
        return Requirement(
            Action.PASS_NOT_MET if colour is Colour.RED else Action.PASS_TO_COMPLETE, None
        )
    ends = [day_of(since) + timedelta(days=days - 1)] if since is not None else []
    if green_at is not None:
        ends.append(day_of(green_at - timedelta(microseconds=1)))
    until = max(ends) if ends else None
    action = Action.CENTRAL_QUARANTINE if colour is Colour.RED else Action.HOME_QUARANTINE
    return Requirement(action, until)
