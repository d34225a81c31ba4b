"""The check-in rules, table-driven (seed 003 §二–三; the fever line of seed 000)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from healthcode.domain.checkins import (
    DEFAULT_WINDOWS,
    Action,
    Status,
    Window,
    check_temperature,
    current_window,
    hhmm,
    is_flagged,
    parse_windows,
    required_action,
    status_of,
)
from healthcode.domain.clock import TZ
from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput
from healthcode.domain.policy import Model

DAY = date(2020, 2, 23)


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), TZ)


@pytest.mark.parametrize(
    ("temperature", "symptoms", "line", "flagged"),
    [
        (37.2, False, 37.3, False),
        (37.3, False, 37.3, True),  # "37.3℃ 及以上"
        (36.5, True, 37.3, True),  # a symptom flags without a fever
        (37.3, False, 37.5, False),  # the policy's line decides
    ],
)
def test_fever_or_symptoms_flag(
    temperature: float, symptoms: bool, line: float, flagged: bool
) -> None:
    assert is_flagged(temperature, symptoms, line) is flagged


@pytest.mark.parametrize("value", [33.9, 43.1, 365.0, float("nan")])
def test_a_reading_no_body_has_is_a_typing_error(value: float) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_temperature(value)
    assert refused.value.errors[0].code == "range"


@pytest.mark.parametrize(
    ("now", "window", "flagged", "status"),
    [
        (at(5, 59), Window.MORNING, None, Status.LATER),
        (at(6, 0), Window.MORNING, None, Status.OPEN),
        (at(9, 59), Window.MORNING, None, Status.OPEN),
        (at(10, 0), Window.MORNING, None, Status.MISSING),  # the window has closed
        (at(10, 0), Window.MORNING, False, Status.DONE),
        (at(8, 0), Window.MORNING, True, Status.FLAGGED),
        (at(20, 59), Window.EVENING, None, Status.OPEN),
        (at(21, 0), Window.EVENING, None, Status.MISSING),
        (at(13, 0), Window.EVENING, None, Status.LATER),
    ],
)
def test_a_windows_status(
    now: datetime, window: Window, flagged: bool | None, status: Status
) -> None:
    assert status_of(DEFAULT_WINDOWS, window, DAY, now, flagged) is status


def test_between_windows_no_check_in_is_taken() -> None:
    assert current_window(DEFAULT_WINDOWS, at(7)) is Window.MORNING
    assert current_window(DEFAULT_WINDOWS, at(18)) is Window.EVENING
    with pytest.raises(InvalidInput) as refused:
        current_window(DEFAULT_WINDOWS, at(12))
    assert refused.value.errors[0].code == "closed"


@pytest.mark.parametrize(
    ("times", "problems"),
    [
        (("06:30", "09:00", "17:30", "20:00"), set()),
        (("6:30", "09:00", "17:30", "20:00"), {("morning_from", "time")}),
        (("06:30", "25:00", "17:30", "20:00"), {("morning_until", "time")}),
        (("09:00", "06:30", "17:30", "20:00"), {("morning_until", "order")}),
        (("06:30", "18:00", "17:30", "20:00"), {("evening_from", "overlap")}),
        (("06:30", "09:00", "20:00", "20:00"), {("evening_until", "order")}),
        (("24:00", "09:00", "17:30", "20:00"), {("morning_until", "order")}),
    ],
)
def test_windows_are_checked(
    times: tuple[str, str, str, str], problems: set[tuple[str, str]]
) -> None:
    if not problems:
        assert parse_windows(*times).morning_from == time(6, 30)
        return
    with pytest.raises(InvalidInput) as refused:
        parse_windows(*times)
    assert {(e.field, e.code) for e in refused.value.errors} == problems


def test_an_evening_window_may_run_to_midnight() -> None:
    """ "24:00" was refused, and a window ending 23:59 refused a check-in at 23:59:30."""
    windows = parse_windows("06:00", "10:00", "20:00", "24:00")
    day = date(2020, 2, 25)
    late = datetime.combine(day, time(23, 59, 30), TZ)
    assert windows.open_at(late) is Window.EVENING
    assert windows.open_at(late + timedelta(seconds=30)) is None  # the next day, at night
    assert windows.label(Window.EVENING) == "20:00–24:00"
    assert hhmm(windows.evening_until) == "24:00"  # stored and shown as given
    with pytest.raises(InvalidInput) as refused:  # it said only "must end after it starts"
        parse_windows("06:00", "10:00", "20:00", "00:00")
    assert [e.message for e in refused.value.errors] == ["For midnight, write 24:00"]


@pytest.mark.parametrize(
    ("colour", "since", "green_at", "action", "until"),
    [
        (Colour.GREEN, None, None, Action.WORK, None),
        (Colour.NONE, None, None, Action.NO_CODE, None),
        (Colour.PENDING, None, None, Action.UNDER_REVIEW, None),  # it read "no code yet"
        # 14 calendar days from the day the code turned red: 23 Feb … 7 Mar (2020 is a leap year)
        (Colour.RED, at(15), None, Action.CENTRAL_QUARANTINE, date(2020, 3, 7)),
        (Colour.YELLOW, at(15), None, Action.HOME_QUARANTINE, date(2020, 3, 7)),
        # a missed report pushes the green day later: the quarantine lasts until then
        (
            Colour.YELLOW,
            at(15),
            at(0, 0, date(2020, 3, 12)),
            Action.HOME_QUARANTINE,
            date(2020, 3, 11),
        ),
        # but never ends before its 14 days
        (
            Colour.RED,
            at(15),
            at(0, 0, date(2020, 3, 1)),
            Action.CENTRAL_QUARANTINE,
            date(2020, 3, 7),
        ),
    ],
)
def test_the_action_a_colour_requires(
    colour: Colour,
    since: datetime | None,
    green_at: datetime | None,
    action: Action,
    until: date | None,
) -> None:
    found = required_action(colour, since=since, green_at=green_at)
    assert (found.action, found.until) == (action, until)


@pytest.mark.parametrize(
    ("colour", "action"),
    [
        (Colour.YELLOW, Action.PASS_TO_COMPLETE),
        (Colour.RED, Action.PASS_NOT_MET),
        (Colour.GREEN, Action.WORK),
        (Colour.PENDING, Action.UNDER_REVIEW),
    ],
)
def test_a_pass_asks_no_quarantine_of_days(colour: Colour, action: Action) -> None:
    """A pass yellow for a missed daily report was shown as 14 days of quarantine, a
    rule of the Binzhou health code (seed 003 §二); seed 000's yellow is 待行 (complete
    or apply again), its red 禁行 (report to the community)."""
    found = required_action(colour, since=at(15), green_at=None, model=Model.PASS)
    assert (found.action, found.until) == (action, None)
