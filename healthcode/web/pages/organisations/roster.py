"""An employer's staff roster: the list and the import form with its per-row report,
and taking one person off the list (a page that asks first, then a form: no script;
it redirects back to the list, which names who was taken off).

The file goes to the same service as the API's import; the report lists every refused
row with its line, the field and why, in the page's language. Out of scope: not found.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from healthcode.domain.errors import DomainError, NotFound
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.errors import in_words
from healthcode.http.security import require
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.organisations import roster
from healthcode.services.organisations.roster_files import MAX_BYTES, MAX_ROWS
from healthcode.web.labels import STAFF_FILE_COLUMNS
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)
Manager = Annotated[Principal, Depends(require(Permission.STAFF_MANAGE))]
PAGE = 100


def _page(
    request: Request,
    uow: UowDep,
    who: Principal,
    organisation_id: uuid.UUID,
    *,
    offset: int = 0,
    status: int = 200,
    report: roster.ImportReport | None = None,
    problem: str = "",
    removed: roster.StaffMember | None = None,
) -> Response:
    shown = roster.show_roster(uow, who, organisation_id=organisation_id, limit=PAGE, offset=offset)
    return render(
        request,
        "organisations/roster.html",
        status=status,
        roster=shown,
        report=report,
        problem=problem,
        removed=removed,
        offset=offset,
        page_size=PAGE,
        max_megabytes=MAX_BYTES // (1024 * 1024),
        max_rows=MAX_ROWS,
        columns=STAFF_FILE_COLUMNS,
    )


@router.get("/staff/employers/{organisation_id}/roster")
def roster_page(
    request: Request,
    organisation_id: uuid.UUID,
    who: Manager,
    uow: UowDep,
    offset: int = 0,
    removed: str = "",
) -> Response:
    """``removed``: the person the removal form just took off, named in a notice."""
    gone = _taken_off(uow, who, organisation_id, removed)
    return _page(
        request, uow, who, organisation_id, offset=max(0, min(offset, 10**6)), removed=gone
    )


def _taken_off(
    uow: UowDep, who: Principal, organisation_id: uuid.UUID, removed: str
) -> roster.StaffMember | None:
    """The person named by ``?removed=``, if they are off this roster; no notice for
    anything else (a kept link to someone imported again, a mistyped address)."""
    try:
        employee_id = uuid.UUID(removed)
        return roster.taken_off(uow, who, organisation_id=organisation_id, employee_id=employee_id)
    except (ValueError, NotFound):
        return None


@router.post("/staff/employers/{organisation_id}/roster")
def import_file(
    request: Request,
    organisation_id: uuid.UUID,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    try:
        report = roster.import_staff(
            uow,
            env,
            who,
            organisation_id=organisation_id,
            content=file.file.read(MAX_BYTES + 1),
            filename=file.filename or "",
        )
    except DomainError as error:
        uow.refused(error)
        if error.status == 404:
            raise
        return _page(
            request, uow, who, organisation_id, status=error.status, problem=in_words(error)
        )
    return _page(request, uow, who, organisation_id, report=report)


@router.get("/staff/employers/{organisation_id}/roster/{employee_id}/remove")
def confirm_removal(
    request: Request,
    organisation_id: uuid.UUID,
    employee_id: uuid.UUID,
    who: Manager,
    uow: UowDep,
) -> Response:
    """Asks before taking the person off the list, naming them and what follows."""
    member = roster.show_member(uow, who, organisation_id=organisation_id, employee_id=employee_id)
    return render(
        request,
        "organisations/roster_remove.html",
        organisation_id=organisation_id,
        member=member,
    )


@router.post("/staff/employers/{organisation_id}/roster/{employee_id}/remove")
def remove(
    request: Request,
    organisation_id: uuid.UUID,
    employee_id: uuid.UUID,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
) -> Response:
    try:
        removed = roster.remove_staff(
            uow,
            env,
            who,
            organisation_id=organisation_id,
            employee_id=employee_id,
            client=client_address(request),
        )
    except NotFound:  # sent twice: the first took them off; else not found again
        removed = roster.taken_off(
            uow, who, organisation_id=organisation_id, employee_id=employee_id
        )
    # Post/redirect/get: the roster names them, and reloading it posts nothing again.
    return RedirectResponse(
        f"/staff/employers/{organisation_id}/roster?removed={removed.id}", status_code=303
    )
