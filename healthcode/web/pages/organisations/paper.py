"""Printed paper passes on the issuer's application screen (seed 000 §四.二 纸质通行卡).

Printing answers the PDF itself (a download the issuer prints at once); the
application screen lists every print with a revoke form. The same services as
``/api/v1/applications/{id}/paper-passes``.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from healthcode.domain.errors import DomainError, NotFound
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.services.organisations import paper_passes
from healthcode.web.deps import FormDep
from healthcode.web.forms import FormState, read_form
from healthcode.web.pages.organisations.access import Signer
from healthcode.web.pages.organisations.review import application_page, show_error

router = APIRouter(include_in_schema=False)


def pdf_response(printed: paper_passes.PrintedPass) -> Response:
    name = f"paper-pass-{printed.token_ref}.pdf"
    return Response(
        printed.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/staff/applications/{application_id}/paper")
def print_paper_pass(
    request: Request, application_id: uuid.UUID, who: Signer, uow: UowDep, env: EnvDep
) -> Response:
    try:
        printed = paper_passes.issue_paper_pass(
            uow, env, who, application_id=application_id, client=client_address(request)
        )
    except NotFound:
        raise
    except DomainError as error:
        uow.refused(error)
        form = FormState()
        show_error(form, error)
        return application_page(
            request,
            who,
            uow,
            env,
            application_id,
            FormState(),
            paper_form=form,
            status=error.status,
        )
    return pdf_response(printed)


@router.post("/staff/paper-passes/{paper_pass_id}/revoke")
def revoke_paper_pass(
    request: Request, paper_pass_id: uuid.UUID, who: Signer, uow: UowDep, env: EnvDep, data: FormDep
) -> Response:
    form = read_form(data)
    application_id = paper_passes.application_of(uow, env, who, paper_pass_id=paper_pass_id)
    try:
        paper_passes.revoke_paper_pass(
            uow,
            env,
            who,
            paper_pass_id=paper_pass_id,
            reason=form.value("reason"),
            client=client_address(request),
        )
    except NotFound:
        raise
    except DomainError as error:
        uow.refused(error)
        show_error(form, error)
        return application_page(
            request,
            who,
            uow,
            env,
            application_id,
            FormState(),
            paper_form=form,
            revoking=paper_pass_id,
            status=error.status,
        )
    return RedirectResponse(f"/staff/applications/{application_id}#paper-title", status_code=303)
