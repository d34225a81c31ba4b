"""Printed paper passes (纸质通行卡): print one for a signed application (the PDF),
list an application's prints, revoke one with a reason (it joins the revocation list)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from healthcode.domain.colour import Colour
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.security import require
from healthcode.http.views import LocalTime
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.organisations import paper_passes
from healthcode.services.organisations.paper_passes import PaperPassRecord
from healthcode.services.shared.bounds import InputModel

router = APIRouter(tags=["issuer"])
Reader = Annotated[Principal, Depends(require(Permission.APPLICATION_READ))]
Signer = Annotated[Principal, Depends(require(Permission.PASS_SIGN))]


class PaperPassView(BaseModel):
    id: uuid.UUID
    number: str = Field(description="the pass number printed on the card")
    colour: Colour = Field(description="the colour printed on it")
    valid_until: LocalTime
    issued_at: LocalTime
    issued_by: str
    revoked_at: LocalTime | None
    revoke_reason: str | None


def _view(record: PaperPassRecord) -> PaperPassView:
    return PaperPassView(
        id=record.paper_pass_id,
        number=record.token_ref,
        colour=record.colour,
        valid_until=record.valid_until,
        issued_at=record.issued_at,
        issued_by=record.issued_by,
        revoked_at=record.revoked_at,
        revoke_reason=record.revoke_reason,
    )


class RevocationInput(InputModel):
    """A field it does not know is refused: a ``revoked_at`` sent to backdate the
    revocation was dropped, and the pass revoked from now without a word."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(max_length=400, examples=["居民报告卡片丢失"])


@router.post(
    "/applications/{application_id}/paper-passes",
    summary="Print the signed pass on paper (a PDF with the long-lived paper token)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def print_paper_pass(
    application_id: uuid.UUID, who: Signer, uow: UowDep, env: EnvDep, request: Request
) -> Response:
    printed = paper_passes.issue_paper_pass(
        uow, env, who, application_id=application_id, client=client_address(request)
    )
    return Response(
        printed.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="paper-pass-{printed.token_ref}.pdf"',
            "Cache-Control": "no-store",
            "X-Paper-Pass-Id": str(printed.paper_pass_id),
        },
    )


@router.get(
    "/applications/{application_id}/paper-passes",
    summary="The paper passes printed for an application, newest first",
)
def list_paper_passes(
    application_id: uuid.UUID, who: Reader, uow: UowDep, env: EnvDep
) -> list[PaperPassView]:
    records = paper_passes.list_paper_passes(uow, env, who, application_id=application_id)
    return [_view(r) for r in records]


@router.post(
    "/paper-passes/{paper_pass_id}/revocation",
    summary="Revoke a paper pass (a reason is required); scanners refuse it as revoked",
)
def revoke_paper_pass(
    paper_pass_id: uuid.UUID,
    data: RevocationInput,
    who: Signer,
    uow: UowDep,
    env: EnvDep,
    request: Request,
) -> PaperPassView:
    record = paper_passes.revoke_paper_pass(
        uow,
        env,
        who,
        paper_pass_id=paper_pass_id,
        reason=data.reason,
        client=client_address(request),
    )
    return _view(record)
