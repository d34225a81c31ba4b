"""Employers' twice-daily staff check-ins and the staff board (seed 003 §二–三), for an
employer's own HR system: the board, readings entered by the employer's staff, the
check-in windows, and a resident's own check-in. Staff routes are scoped
(``staff.manage``); anything outside the caller's scope is not found."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from healthcode.domain.checkins import Status, Window, Windows, hhmm
from healthcode.domain.temperature import HIGHEST_C, LOWEST_C
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.security import ResidentDep, require
from healthcode.http.views import LocalTime
from healthcode.i18n import translate
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.organisations import board as boards
from healthcode.services.organisations import checkins
from healthcode.services.shared.bounds import MAX_OFFSET, TEMPERATURE_SCHEMA, Celsius, InputModel

TEMPERATURE_RANGE = f"℃, {LOWEST_C:g}–{HIGHEST_C:g} (domain/temperature.py)"
router = APIRouter(tags=["employers"])
Manager = Annotated[Principal, Depends(require(Permission.STAFF_MANAGE))]
BOARD_LIMIT = 1000  # rows of the board in one answer (~340 bytes each)
HHMM = r"^\d{2}:\d{2}$"  # 24:00: a window up to midnight


class SlotView(BaseModel):
    status: Status = Field(
        description="done | flagged | missing (window closed) | open | later | not_at_work "
        "(nothing in, none expected: the required action keeps them from work)"
    )
    temperature: float | None
    symptoms: bool | None


class BoardRowView(BaseModel):
    employee_id: uuid.UUID
    name: str
    department: str
    colour: str = Field(examples=["green", "yellow", "red", "none"])
    morning: SlotView
    evening: SlotView
    action: str = Field(
        examples=[
            "work",
            "see_a_doctor",
            "home_quarantine",
            "central_quarantine",
            "under_review",
            "no_code",
            "pass_to_complete",
            "pass_not_met",
        ]
    )
    action_until: date | None = Field(description="the last day of the quarantine")
    action_words: str = Field(description="the action in the caller's language")


class WindowsView(BaseModel):
    morning_from: str = Field(pattern=HHMM, examples=["06:00"])
    morning_until: str = Field(pattern=HHMM, examples=["10:00"])
    evening_from: str = Field(pattern=HHMM, examples=["17:00"])
    evening_until: str = Field(pattern=HHMM, examples=["21:00"])

    @classmethod
    def of(cls, w: Windows) -> WindowsView:
        return cls(
            morning_from=hhmm(w.morning_from),
            morning_until=hhmm(w.morning_until),
            evening_from=hhmm(w.evening_from),
            evening_until=hhmm(w.evening_until),
        )


class BoardView(BaseModel):
    organisation_id: uuid.UUID
    organisation_name: str
    day: date = Field(description="today in Asia/Shanghai")
    at: LocalTime
    windows: WindowsView
    counts: dict[str, int]
    matched: int = Field(description="rows under the filter; `rows` is one page of them")
    rows: list[BoardRowView]


class WindowsInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    morning_from: str = Field(max_length=5, examples=["06:30"])
    morning_until: str = Field(max_length=5, examples=["09:30"])
    evening_from: str = Field(max_length=5, examples=["17:00"])
    evening_until: str = Field(max_length=5, examples=["20:30"])


class EntryInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    employee_id: uuid.UUID
    temperature: Celsius = Field(
        description=TEMPERATURE_RANGE, examples=[36.5], json_schema_extra=TEMPERATURE_SCHEMA
    )
    symptoms: bool = False


class EntriesInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    entries: list[EntryInput] = Field(max_length=checkins.MAX_ENTRIES)


class CheckinInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    temperature: Celsius = Field(
        description=TEMPERATURE_RANGE, examples=[36.5], json_schema_extra=TEMPERATURE_SCHEMA
    )
    symptoms: bool


class RecordedView(BaseModel):
    employee_id: uuid.UUID
    name: str
    organisation_id: uuid.UUID = Field(description="the employer it was recorded for")
    organisation: str = Field(description="that employer's name")
    day: date
    window: Window
    temperature: float
    symptoms: bool
    flagged: bool
    corrected: bool = Field(description="it replaced an earlier check-in of the same window")
    at: LocalTime

    @classmethod
    def of(cls, r: checkins.Recorded) -> RecordedView:
        return cls(**vars(r))


class EmployerTodayView(BaseModel):
    organisation_id: uuid.UUID
    name: str
    windows: WindowsView
    window: Window | None = Field(description="its window open now; null between windows")
    latest: Window | None = Field(
        description="the window open now, else today's last closed one; null before the "
        "morning's opens"
    )
    status: Status | None = Field(description="latest's: open | done | flagged | missing")
    done: RecordedView | None = Field(description="latest's check-in, if done")
    next_window: Window | None = Field(description="when none is open, the next to open")
    next_at: LocalTime | None = Field(description="when next_window opens")
    counts_now: bool = Field(
        description="a check-in sent now is recorded for this employer: where an open "
        "window is not done yet, only there; when all open ones are done, it corrects them"
    )

    @classmethod
    def of(cls, line: checkins.EmployerToday, *, counts_now: bool) -> EmployerTodayView:
        return cls(
            organisation_id=line.organisation_id,
            name=line.name,
            windows=WindowsView.of(line.windows),
            window=line.window,
            latest=line.latest,
            status=line.status,
            done=RecordedView.of(line.done) if line.done else None,
            next_window=line.next.window if line.next else None,
            next_at=line.next.at if line.next else None,
            counts_now=counts_now,
        )


class TodayView(BaseModel):
    employers: list[str] = Field(description="the names of every employer, as `by_employer`")
    window: Window | None = Field(
        description="the window open now at the first employer with one open (else the "
        "first by name); null between windows. With several employers, see `by_employer`"
    )
    windows: WindowsView = Field(description="that employer's windows")
    done: RecordedView | None = Field(description="that employer's check-in of that window")
    by_employer: list[EmployerTodayView] = Field(description="one line per employer, by name")


def _row(row: boards.BoardRow) -> BoardRowView:
    until = row.requirement.until
    return BoardRowView(
        employee_id=row.employee_id,
        name=row.name,
        department=row.department,
        colour=row.colour.value,
        morning=SlotView(**vars(row.morning)),
        evening=SlotView(**vars(row.evening)),
        action=row.requirement.action.value,
        action_until=until,
        action_words=translate(row.requirement.words, {"date": until.isoformat() if until else ""}),
    )


@router.get(
    "/employers/{organisation_id}/board",
    summary="The staff board: each person's colour, today's check-ins and required action",
)
def get_board(
    organisation_id: uuid.UUID,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
    request: Request,
    only: boards.Only = boards.Only.ALL,
    limit: Annotated[int, Query(ge=1, le=BOARD_LIMIT)] = BOARD_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> BoardView:
    """A page of the rows (a 20,000-person roster was 6.8 MB in one answer); the
    counts cover everyone."""
    found = boards.show_board(
        uow, env, who, organisation_id=organisation_id, only=only, client=client_address(request)
    )
    return BoardView(
        organisation_id=found.organisation_id,
        organisation_name=found.organisation_name,
        day=found.day,
        at=found.at,
        windows=WindowsView.of(found.windows),
        counts=found.counts,
        matched=len(found.rows),
        rows=[_row(r) for r in found.rows[offset : offset + limit]],
    )


@router.post(
    "/employers/{organisation_id}/checkins",
    status_code=201,
    summary="Enter staff check-ins for the window open now (a second one corrects the first)",
)
def enter_checkins(
    organisation_id: uuid.UUID, data: EntriesInput, who: Manager, uow: UowDep, env: EnvDep
) -> list[RecordedView]:
    entries = [checkins.Entry(e.employee_id, e.temperature, e.symptoms) for e in data.entries]
    done = checkins.enter_checkins(uow, env, who, organisation_id=organisation_id, entries=entries)
    return [RecordedView.of(r) for r in done]


@router.put(
    "/employers/{organisation_id}/checkin-windows",
    summary="Set the employer's morning and evening check-in windows (HH:MM, Beijing time)",
)
def put_windows(
    organisation_id: uuid.UUID, data: WindowsInput, who: Manager, uow: UowDep, env: EnvDep
) -> WindowsView:
    windows = checkins.set_windows(
        uow,
        env,
        who,
        organisation_id=organisation_id,
        morning=(data.morning_from, data.morning_until),
        evening=(data.evening_from, data.evening_until),
    )
    return WindowsView.of(windows)


@router.get("/me/checkins/today", summary="My check-ins of today at each employer whose staff I am")
def get_today(principal: ResidentDep, uow: UowDep, env: EnvDep) -> TodayView | None:
    today = checkins.today_checkin(uow, env, principal)
    if today is None:
        return None
    takers = today.takers
    return TodayView(
        employers=list(today.employers),
        window=today.window,
        windows=WindowsView.of(today.windows),
        done=RecordedView.of(today.done) if today.done else None,
        by_employer=[EmployerTodayView.of(x, counts_now=x in takers) for x in today.lines],
    )


@router.post(
    "/me/checkins",
    status_code=201,
    summary="Check in: my temperature and symptoms, for the employers open now (see "
    "`counts_now` of GET /me/checkins/today); each reading names its employer",
)
def post_checkin(
    data: CheckinInput, principal: ResidentDep, uow: UowDep, env: EnvDep
) -> list[RecordedView]:
    done = checkins.check_in(
        uow, env, principal, temperature=data.temperature, symptoms=data.symptoms
    )
    return [RecordedView.of(r) for r in done]
