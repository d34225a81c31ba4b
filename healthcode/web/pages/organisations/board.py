"""An employer's staff board, its CSV export, the entrance's check-in list and the
check-in windows (seed 003 §二–三). Out of scope: not found; every view audit-logged
by the service."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from healthcode.domain.checkins import Status, Window, hhmm
from healthcode.domain.errors import DomainError, FieldError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.http.csv_files import cell, csv_response
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.errors import in_words
from healthcode.http.security import require
from healthcode.i18n import translate
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.organisations import board as boards
from healthcode.services.organisations import checkins, roster
from healthcode.web.deps import FormDep
from healthcode.web.forms import FormState, whole_number
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)
Manager = Annotated[Principal, Depends(require(Permission.STAFF_MANAGE))]
BOARD_PAGE = 300  # rows a board page shows; the counts and the CSV cover everyone
ENTRY_PAGE = 400  # rows of the entrance list: two fields each stay under the form's 1,000
_ROW = re.compile(r"entries\[(\d+)\]\.")  # a refusal of the n-th row typed

STATUS_WORDS = {
    Status.DONE: N_("Done"),
    Status.FLAGGED: N_("Flagged"),
    Status.MISSING: N_("Missing"),
    Status.OPEN: N_("Due now"),
    Status.LATER: N_("Not yet due"),
    Status.NOT_AT_WORK: N_("Not at work"),
}
WINDOW_WORDS = {Window.MORNING: N_("Morning"), Window.EVENING: N_("Evening")}
FILTER_WORDS = {
    boards.Only.ALL: N_("Everyone"),
    boards.Only.MISSING: N_("Missing a check-in"),
    boards.Only.NOT_GREEN: N_("Not green"),
    boards.Only.FLAGGED: N_("Flagged"),
}


def _board_page(
    request: Request,
    uow: UowDep,
    env: EnvDep,
    who: Principal,
    organisation_id: uuid.UUID,
    *,
    only: boards.Only = boards.Only.ALL,
    form: FormState | None = None,
    status: int = 200,
    saved: bool = False,
    offset: int = 0,
) -> Response:
    shown = boards.show_board(
        uow, env, who, organisation_id=organisation_id, only=only, client=client_address(request)
    )
    return render(
        request,
        "organisations/board.html",
        status=status,
        headers={"Cache-Control": "no-store"},
        board=shown,
        rows=shown.rows[offset : offset + BOARD_PAGE],
        offset=offset,
        page_size=BOARD_PAGE,
        hhmm=hhmm,
        form=form or FormState(),
        saved=saved,
        status_words=STATUS_WORDS,
        window_words=WINDOW_WORDS,
        filter_words=FILTER_WORDS,
        morning=Window.MORNING,
        evening=Window.EVENING,
        manages_roster=roster.manages_roster(uow, who, organisation_id),
    )


@router.get("/staff/employers/{organisation_id}/board")
def board_page(
    request: Request,
    organisation_id: uuid.UUID,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
    only: boards.Only = boards.Only.ALL,
    saved: int = 0,
    offset: int = 0,
) -> Response:
    return _board_page(
        request,
        uow,
        env,
        who,
        organisation_id,
        only=only,
        saved=bool(saved),
        offset=max(0, min(offset, 10**6)),
    )


@router.get("/staff/employers/{organisation_id}/board.csv")
def board_csv(
    request: Request,
    organisation_id: uuid.UUID,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
    only: boards.Only = boards.Only.ALL,
) -> Response:
    shown = boards.show_board(
        uow,
        env,
        who,
        organisation_id=organisation_id,
        only=only,
        client=client_address(request),
    )
    header = [
        translate(N_("Name")),
        translate(N_("Department")),
        translate(N_("Colour")),
        translate(N_("Morning")),
        translate(N_("Evening")),
        translate(N_("Required action")),
        translate(N_("Until")),
    ]
    rows = [
        [
            cell(row.name),
            cell(row.department),
            translate(row.colour.label),
            _slot_words(row.morning),
            _slot_words(row.evening),
            translate(row.requirement.words, {"date": _until(row)}),
            _until(row),
        ]
        for row in shown.rows
    ]
    return csv_response(f"board-{shown.day.isoformat()}.csv", header, rows)


def _until(row: boards.BoardRow) -> str:
    return row.requirement.until.isoformat() if row.requirement.until else ""


def _slot_words(slot: boards.Slot) -> str:
    words = translate(STATUS_WORDS[slot.status])
    return f"{words} {slot.temperature} ℃" if slot.temperature is not None else words


@router.post("/staff/employers/{organisation_id}/windows")
def set_windows(
    request: Request,
    organisation_id: uuid.UUID,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
    data: FormDep,
) -> Response:
    fields = ("morning_from", "morning_until", "evening_from", "evening_until")
    values = {f: str(data.get(f, "")).strip() for f in fields}
    try:
        checkins.set_windows(
            uow,
            env,
            who,
            organisation_id=organisation_id,
            morning=(values["morning_from"], values["morning_until"]),
            evening=(values["evening_from"], values["evening_until"]),
        )
    except DomainError as error:
        uow.refused(error)
        if error.status == 404:
            raise
        form = FormState(values=values)
        _errors(form, error)
        return _board_page(request, uow, env, who, organisation_id, form=form, status=error.status)
    return RedirectResponse(f"/staff/employers/{organisation_id}/board?saved=1", status_code=303)


def _errors(form: FormState, error: DomainError) -> None:
    if isinstance(error, InvalidInput):
        for e in error.errors:
            form.add_error(e.field, translate(e.message, e.params))
    else:
        form.general.append(in_words(error))


# The entrance: one row per person, temperature and symptoms, for the window open now.


def _entry_page(
    request: Request,
    uow: UowDep,
    env: EnvDep,
    who: Principal,
    organisation_id: uuid.UUID,
    *,
    form: FormState | None = None,
    status: int = 200,
    saved: int | None = None,
    offset: int = 0,
) -> Response:
    shown = boards.show_board(
        uow, env, who, organisation_id=organisation_id, client=client_address(request)
    )
    window = shown.windows.open_at(shown.at)
    return render(
        request,
        "organisations/checkins.html",
        status=status,
        headers={"Cache-Control": "no-store"},
        board=shown,
        rows=shown.rows[offset : offset + ENTRY_PAGE],
        offset=offset,
        page_size=ENTRY_PAGE,
        window=window,
        form=form or FormState(),
        saved=saved,
        status_words=STATUS_WORDS,
        window_words=WINDOW_WORDS,
        morning=Window.MORNING,
        evening=Window.EVENING,
    )


@router.get("/staff/employers/{organisation_id}/checkins")
def entry_page(
    request: Request,
    organisation_id: uuid.UUID,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
    saved: int | None = None,
    offset: int = 0,
) -> Response:
    offset = max(0, min(offset, 10**6))
    return _entry_page(request, uow, env, who, organisation_id, saved=saved, offset=offset)


@router.post("/staff/employers/{organisation_id}/checkins")
def enter(
    request: Request,
    organisation_id: uuid.UUID,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
    data: FormDep,
) -> Response:
    form = FormState(values={k: str(v) for k, v in data.items() if k.startswith("t-")})
    offset = _offset(str(data.get("offset", "0")))
    entries, fields, problems = _entries(data)
    try:
        done = checkins.enter_checkins(
            uow, env, who, organisation_id=organisation_id, entries=entries, unread=problems
        )
    except DomainError as error:
        uow.refused(error)
        if error.status == 404:
            raise
        _row_errors(form, error, fields, [k for k in data if k.startswith("t-")])
        for key in data:
            if key.startswith("s-"):
                form.values[key] = "yes"
        return _entry_page(
            request, uow, env, who, organisation_id, form=form, status=error.status, offset=offset
        )
    return RedirectResponse(
        f"/staff/employers/{organisation_id}/checkins?saved={len(done)}&offset={offset}",
        status_code=303,
    )


def _offset(raw: str) -> int:
    return min(whole_number(raw) or 0, 10**6)


def _entries(data: FormDep) -> tuple[list[checkins.Entry], list[str], list[FieldError]]:
    """The rows with a temperature typed: ``t-<employee id>``, ``s-<employee id>``. A
    row with symptoms ticked and no temperature is refused beside it (it was skipped
    as empty, and the person with symptoms went unrecorded)."""
    entries, fields, problems = [], [], []
    for key, raw in data.multi_items():
        text = str(raw).strip().replace(",", ".").replace("℃", "")
        if not key.startswith("t-") or not text:
            continue
        try:
            employee_id = uuid.UUID(key[2:])
        except ValueError:
            continue
        try:
            value = float(text)
        except ValueError:
            problems.append(FieldError(key, "number", N_("Type a number, e.g. 36.5")))
            continue
        entries.append(checkins.Entry(employee_id, value, bool(data.get(f"s-{employee_id}"))))
        fields.append(key)
    for key in data:  # symptoms ticked, no temperature: not an empty row to skip
        if key.startswith("s-") and not str(data.get(f"t-{key[2:]}", "")).strip():
            problems.append(
                FieldError(
                    f"t-{key[2:]}", "required", N_("Symptoms are ticked: type the temperature too")
                )
            )
    return entries, fields, problems


def _row_errors(form: FormState, error: DomainError, fields: list[str], order: list[str]) -> None:
    """Put each refusal beside its row: ``entries[<n>].…`` is the n-th row typed; the
    summary lists them in the page's order (``order``: the fields as posted)."""
    if not isinstance(error, InvalidInput):
        form.general.append(in_words(error))
        return
    beside: list[tuple[str, str]] = []
    for e in error.errors:
        name = e.field
        if (row := _ROW.match(name)) is not None:
            index = int(row.group(1))
            name = fields[index] if index < len(fields) else name
        if name.startswith("t-"):
            beside.append((name, translate(e.message, e.params)))
        else:
            form.general.append(translate(e.message, e.params))
    place = {name: i for i, name in enumerate(order)}
    for name, message in sorted(beside, key=lambda b: place.get(b[0], len(place))):
        form.add_error(name, message)
