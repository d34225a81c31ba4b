"""The issuer's queue and signature (签发人): list, open (audit-logged), sign."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from healthcode.domain.colour import Colour
from healthcode.http import ranges
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.security import require
from healthcode.http.views import CodeView, LocalTime, code_view
from healthcode.i18n import pick
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.organisations import applications, signing, videos
from healthcode.services.organisations.applications import QueueItem
from healthcode.services.shared.bounds import MAX_OFFSET, InputModel

router = APIRouter(tags=["issuer"])
Reader = Annotated[Principal, Depends(require(Permission.APPLICATION_READ))]
Signer = Annotated[Principal, Depends(require(Permission.PASS_SIGN))]


class ApplicationView(BaseModel):
    id: uuid.UUID
    policy: str
    title: str
    submitted_at: LocalTime
    name_masked: str
    id_masked: str
    region: str
    destination: str | None
    purpose: str | None
    code: CodeView = Field(description="pending, with the colour the rules suggest and why")


class QueueView(BaseModel):
    total: int
    items: list[ApplicationView]


class SignedByView(BaseModel):
    colour: str
    note: str
    signed_at: LocalTime
    authorisation_id: uuid.UUID | None
    signer: str
    position: str
    organisation: str
    authorisation_status: str = Field(description="now: a revoked grant still explains it")


class ApplicationDetailView(ApplicationView):
    name: str
    sex: str
    birth_date: date
    address: str
    temperature: float | None
    symptoms: list[str]
    exposures: list[dict[str, str | None]]
    trips: list[dict[str, str | None]]
    residence_since: date | None
    destination_detail: str
    employer: str
    signatures: list[SignedByView]


class SignatureInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    colour: Colour = Field(examples=["green"])
    note: str = Field("", max_length=500, examples=["视频通话核实，体温36.5℃"])


def _view(item: QueueItem) -> ApplicationView:
    return ApplicationView(
        id=item.application_id,
        policy=item.policy.id,
        title=pick(item.policy.title),
        submitted_at=item.submitted_at,
        name_masked=item.name_masked,
        id_masked=item.id_masked,
        region=item.region_code,
        destination=item.destination,
        purpose=item.purpose,
        code=code_view(item.policy, item.state),
    )


@router.get("/applications", summary="Pass applications waiting for a signature, oldest first")
def list_applications(
    who: Reader,
    uow: UowDep,
    env: EnvDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> QueueView:
    total, items = applications.list_pending_applications(uow, env, who, limit=limit, offset=offset)
    return QueueView(total=total, items=[_view(i) for i in items])


@router.get("/applications/{application_id}", summary="One application in full (audit-logged)")
def get_application(
    application_id: uuid.UUID, who: Reader, uow: UowDep, env: EnvDep, request: Request
) -> ApplicationDetailView:
    detail = applications.open_application(
        uow,
        env,
        who,
        application_id=application_id,
        client=client_address(request),
    )
    d = detail.declaration
    return ApplicationDetailView(
        **_view(detail.item).model_dump(),
        name=detail.name,
        sex=detail.sex,
        birth_date=detail.birth_date,
        address=detail.address,
        temperature=d.temperature,
        symptoms=list(d.symptoms),
        exposures=list(d.exposures),
        trips=list(d.trips),
        residence_since=d.residence_since,
        destination_detail=d.destination_detail,
        employer=d.employer,
        signatures=[
            SignedByView(
                colour=s.colour,
                note=s.note,
                signed_at=s.signed_at,
                authorisation_id=s.authorisation_id,
                signer=s.signer_name,
                position=s.position,
                organisation=s.organisation_name,
                authorisation_status=s.authorisation_status,
            )
            for s in detail.signatures
        ],
    )


@router.get(
    "/applications/{application_id}/video",
    summary="The applicant's temperature video, if any (audit-logged; supports Range)",
    response_class=Response,
    responses={200: {"content": {"video/mp4": {}}}, 206: {"description": "a byte range"}},
)
def get_video(
    application_id: uuid.UUID, who: Reader, uow: UowDep, env: EnvDep, request: Request
) -> Response:
    byte_range = request.headers.get("range")
    blob = videos.review_video(
        uow,
        env,
        who,
        application_id=application_id,
        byte_range=byte_range or "",
        client=client_address(request),
    )
    return ranges.stream(blob, byte_range)


@router.post("/applications/{application_id}/signature", summary="Sign the pass (签发)")
def sign(
    application_id: uuid.UUID,
    data: SignatureInput,
    who: Signer,
    uow: UowDep,
    env: EnvDep,
    request: Request,
) -> CodeView:
    state = signing.sign_pass(
        uow,
        env,
        who,
        application_id=application_id,
        colour=data.colour,
        note=data.note,
        client=client_address(request),
    )
    return code_view(env.policies.find(state.policy_id), state)
