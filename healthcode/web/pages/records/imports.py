"""Imports for data operators: upload a department's file and read its report, the
list of batches, one batch's refused rows, and rollback. The same services as the
API; within the operator's regions, anything else is not found."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from healthcode.domain.errors import DomainError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.records import Department, ImportKind, column_label
from healthcode.http.batch_files import refused_rows_csv
from healthcode.http.deps import EnvDep, UnitsDep, UowDep
from healthcode.http.errors import in_words
from healthcode.http.security import require
from healthcode.jobs.recolouring import recolour_after_commit
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.records import batches
from healthcode.services.records.imports import ImportReport, import_records, staff_sender
from healthcode.web.pages.records.words import DEPARTMENTS, KINDS, STATUSES
from healthcode.web.templating import render

_WORDS: dict[str, Any] = {  # what the import pages name in words
    "departments": DEPARTMENTS,
    "kinds": KINDS,
    "statuses": STATUSES,
    "column_label": column_label,
}
router = APIRouter(include_in_schema=False)
Operator = Annotated[Principal, Depends(require(Permission.RECORDS_IMPORT))]
LIST = "/staff/records/imports"


def _page(
    request: Request,
    uow: UowDep,
    who: Principal,
    *,
    status: int = 200,
    report: ImportReport | None = None,
    later: bool = False,
    problem: str = "",
) -> Response:
    return render(
        request,
        "records/imports.html",
        status=status,
        report=report,
        later=later,
        problem=problem,
        batches=batches.list_batches(uow, who),
        **_WORDS,
    )


@router.get(LIST)
def imports_page(request: Request, who: Operator, uow: UowDep) -> Response:
    return _page(request, uow, who)


@router.post(LIST)
def upload(
    request: Request,
    who: Operator,
    uow: UowDep,
    env: EnvDep,
    units: UnitsDep,
    file: Annotated[UploadFile, File()],
    department: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
) -> Response:
    try:
        chosen = Department(_chosen(department, DEPARTMENTS, "department"))
        report = import_records(
            uow,
            env,
            sender=staff_sender(who, chosen),
            department=chosen,
            kind=ImportKind(_chosen(kind, KINDS, "kind")),
            stream=file.file,
            file_name=file.filename or "upload.csv",
        )
    except DomainError as error:
        uow.refused(error)
        return _page(request, uow, who, status=error.status, problem=in_words(error))
    later = recolour_after_commit(uow, units, env, batch_id=report.batch_id, records=report.changed)
    return _page(request, uow, who, report=report, later=later)


def _chosen(value: str, offered: Mapping[str, str], name: str) -> str:
    """One of the form's options; anything else (a stale or tampered form) is refused,
    not replaced by the first option as it was."""
    if value not in offered:
        raise InvalidInput.single(name, "required", N_("Choose the department and the kind"))
    return value


@router.get(LIST + "/{batch_id}")
def batch_page(request: Request, batch_id: uuid.UUID, who: Operator, uow: UowDep) -> Response:
    summary, refused = batches.show_batch(uow, who, batch_id=batch_id)
    return render(
        request,
        "records/batch.html",
        batch=summary,
        refused=refused,
        more=len(refused) >= batches.SHOWN,
        every=batches.EVERY,
        **_WORDS,
    )


@router.get(LIST + "/{batch_id}/refused.csv")
def refused_file(batch_id: uuid.UUID, who: Operator, uow: UowDep) -> Response:
    return refused_rows_csv(*batches.show_batch(uow, who, batch_id=batch_id, limit=batches.EVERY))


@router.post(LIST + "/{batch_id}/rollback")
def roll_back(
    batch_id: uuid.UUID, who: Operator, uow: UowDep, env: EnvDep, units: UnitsDep
) -> Response:
    summary = batches.roll_back_batch(uow, env, who, batch_id=batch_id)
    recolour_after_commit(uow, units, env, batch_id=batch_id, records=summary.changed)
    return RedirectResponse(f"{LIST}/{batch_id}", status_code=303)
