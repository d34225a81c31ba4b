"""Tracing for health-department officers: pick a confirmed case (by ID number or from
the list), see the venues and windows and who was there, select, create the
close-contact records (one import batch) and open the batch. The same services as the
API (``services/records/tracing.py``); out of the officer's regions: not found."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from healthcode.domain.errors import DomainError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.records import ImportKind
from healthcode.http.deps import EnvDep, UnitsDep, UowDep
from healthcode.http.errors import in_words
from healthcode.http.security import require
from healthcode.jobs.recolouring import recolour_after_commit
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.records import tracing
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)
Operator = Annotated[Principal, Depends(require(Permission.RECORDS_IMPORT))]
HOME = "/staff/records/tracing"


def _home(
    request: Request, uow: UowDep, who: Principal, *, status: int = 200, problem: str = ""
) -> Response:
    return render(
        request,
        "records/tracing.html",
        status=status,
        problem=problem,
        cases=tracing.confirmed_cases(uow, who),
    )


@router.get(HOME)
def tracing_page(request: Request, who: Operator, uow: UowDep) -> Response:
    return _home(request, uow, who)


@router.post(HOME)
def find(
    request: Request,
    who: Operator,
    uow: UowDep,
    env: EnvDep,
    id_number: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    try:
        case = tracing.find_case(uow, env, who, id_number=id_number)
    except DomainError as error:
        uow.refused(error)
        return _home(request, uow, who, status=error.status, problem=in_words(error))
    return RedirectResponse(f"{HOME}/{case.resident_id}", status_code=303)


def _since(raw: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput.single(
            "since", "date", N_("{value} is not a date (write it as YYYY-MM-DD)"), value=raw[:20]
        ) from None


@router.get(HOME + "/{resident_id}")
def trace_page(
    request: Request,
    resident_id: uuid.UUID,
    who: Operator,
    uow: UowDep,
    env: EnvDep,
    since: str = "",
    window: int = tracing.DEFAULT_WINDOW,
) -> Response:
    try:
        trace = tracing.trace_case(
            uow, env, who, resident_id=resident_id, since=_since(since), window_minutes=window
        )
    except InvalidInput as error:
        uow.refused(error)
        trace = tracing.trace_case(uow, env, who, resident_id=resident_id)
        return render(
            request, "records/trace.html", status=422, trace=trace, problem=in_words(error)
        )
    return render(request, "records/trace.html", trace=trace, problem="")


@router.post(HOME + "/{resident_id}")
def make_records(
    request: Request,
    resident_id: uuid.UUID,
    who: Operator,
    uow: UowDep,
    env: EnvDep,
    units: UnitsDep,
    contact: Annotated[list[uuid.UUID] | None, Form()] = None,
    since: Annotated[str, Form()] = "",
    window: Annotated[int, Form()] = tracing.DEFAULT_WINDOW,
    kind: Annotated[str, Form()] = ImportKind.CLOSE_CONTACT.value,
) -> Response:
    try:
        report = tracing.create_contact_records(
            uow,
            env,
            who,
            resident_id=resident_id,
            contacts=contact or [],
            since=_since(since),
            window_minutes=window,
            kind=ImportKind(kind) if kind in tracing.KINDS else ImportKind.CLOSE_CONTACT,
        )
    except (InvalidInput, tracing.NothingSelected) as error:
        uow.refused(error)
        trace = tracing.trace_case(uow, env, who, resident_id=resident_id)
        return render(
            request, "records/trace.html", status=422, trace=trace, problem=in_words(error)
        )
    recolour_after_commit(uow, units, env, batch_id=report.batch_id, records=report.changed)
    return RedirectResponse(f"/staff/records/imports/{report.batch_id}", status_code=303)
