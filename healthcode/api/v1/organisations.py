"""The issuer's queue and signature (签发人): list (filtered, counted), open
(audit-logged), sign; counter applications; two-officer colour overrides."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from healthcode.domain.colour import Colour
from healthcode.domain.signing import InfoNeeded
from healthcode.http import ranges
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.security import require
from healthcode.http.views import CodeView, LocalTime, code_view
from healthcode.i18n import pick
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.organisations import applications, counter, overrides, signing, videos
from healthcode.services.organisations.applications import QueueItem, Source
from healthcode.services.organisations.counter import CounterInput
from healthcode.services.organisations.overrides import OverrideProposal
from healthcode.services.residents.inputs import DailyReportInput, Purpose
from healthcode.services.shared.bounds import MAX_OFFSET, InputModel, Moment

router = APIRouter(tags=["issuer"])
Reader = Annotated[Principal, Depends(require(Permission.APPLICATION_READ))]
Signer = Annotated[Principal, Depends(require(Permission.PASS_SIGN))]
Officer = Annotated[Principal, Depends(require(Permission.COLOUR_OVERRIDE))]


class FindingView(BaseModel):
    rule_id: str
    colour: Colour
    text: str = Field(description="the finding in words")
    sources: list[Source] = Field(description="declaration, department_data or credit")
    departments: list[str] = Field(
        [], description="the departments whose records it rests on", examples=[["health"]]
    )


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
    resident_id: uuid.UUID | None
    findings: list[FindingView] = Field(description="what the data check found, with sources")
    temperature_today: float | None = Field(description="today's latest daily report, if any")
    counter: bool = Field(description="entered at the counter (no phone)")


class OrganisationRef(BaseModel):
    id: uuid.UUID
    name: str


class SummaryView(BaseModel):
    total: int = Field(description="every waiting application within your reach")
    by_suggested: dict[Colour, int]
    oldest_since: LocalTime | None = Field(description="when the longest wait began")
    organisations: list[OrganisationRef] = Field(
        description="the organisations whose applications the queue holds: those you are "
        "an authorised issuer of; empty: none, so no application is yours to review (a "
        "role for a region or the whole deployment signs in no organisation's name)"
    )
    suspended: list[OrganisationRef] = Field(
        description="your organisations left out while suspended (all of them: 409 "
        "organisation_suspended)"
    )


class QueueView(BaseModel):
    total: int = Field(description="the waiting applications matching the filters")
    items: list[ApplicationView]
    summary: SummaryView


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
    requested: list[InfoNeeded] = Field(
        default_factory=list, max_length=5, description="yellow: what the resident must supply"
    )


class ProposalInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    resident_id: uuid.UUID
    policy: str = Field(max_length=32)
    colour: Colour
    reason: str = Field(max_length=500)
    ends_at: Moment | None = None


class DecisionInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool
    note: str = Field("", max_length=500)


class ProposalView(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID
    name_masked: str
    id_masked: str
    policy: str
    colour: Colour
    current: Colour
    reason: str
    ends_at: LocalTime | None
    status: str
    proposed_at: LocalTime
    mine: bool = Field(description="you proposed it: another officer must decide")


class CounterPassView(BaseModel):
    application_id: uuid.UUID
    name_masked: str
    id_masked: str
    code: CodeView


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
        resident_id=item.resident_id,
        findings=[
            FindingView(
                rule_id=f.rule_id,
                colour=f.colour,
                text=pick(f.text),
                sources=list(f.sources),
                departments=list(f.departments),
            )
            for f in item.findings
        ],
        temperature_today=item.temperature_today,
        counter=item.counter,
    )


def _proposal(p: OverrideProposal) -> ProposalView:
    return ProposalView(
        id=p.id,
        resident_id=p.resident_id,
        name_masked=p.name_masked,
        id_masked=p.id_masked,
        policy=p.policy.id,
        colour=p.colour,
        current=p.current,
        reason=p.reason,
        ends_at=p.ends_at,
        status=p.status,
        proposed_at=p.proposed_at,
        mine=p.mine,
    )


@router.get("/applications", summary="Pass applications waiting for a signature, oldest first")
def list_applications(
    who: Reader,
    uow: UowDep,
    env: EnvDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    suggested: Colour | None = None,
    region: Annotated[str | None, Query(pattern=r"^\d{2,6}$")] = None,
    purpose: Purpose | None = None,
    waiting_hours: Annotated[int | None, Query(ge=1, le=24 * 30)] = None,
) -> QueueView:
    filters = applications.QueueFilter(
        suggested=suggested,
        region=region,
        purpose=purpose.value if purpose else None,
        waiting_hours=waiting_hours,
    )
    total, items = applications.list_pending_applications(
        uow, env, who, filters=filters, limit=limit, offset=offset
    )
    summary = applications.summarise_queue(uow, env, who)
    return QueueView(
        total=total,
        items=[_view(i) for i in items],
        summary=SummaryView(
            total=summary.total,
            by_suggested=dict(summary.by_suggested),
            oldest_since=summary.oldest_since,
            organisations=[OrganisationRef(id=o.id, name=o.name) for o in summary.organisations],
            suspended=[OrganisationRef(id=o.id, name=o.name) for o in summary.suspended],
        ),
    )


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
        requested=data.requested,
        client=client_address(request),
    )
    return code_view(env.policies.find(state.policy_id), state)


@router.post("/counter-applications", summary="Enter and sign an application at the counter")
def counter_application(
    data: CounterInput, who: Signer, uow: UowDep, env: EnvDep, request: Request
) -> CounterPassView:
    signed = counter.enter_counter_application(
        uow, env, who, data=data, client=client_address(request)
    )
    return CounterPassView(
        application_id=signed.application_id,
        name_masked=signed.name_masked,
        id_masked=signed.id_masked,
        code=code_view(signed.policy, signed.state),
    )


@router.post(
    "/applications/{application_id}/daily-reports",
    summary="Enter the applicant's daily report, given at the counter or by phone (现场上报)",
)
def report_at_counter(
    application_id: uuid.UUID,
    data: DailyReportInput,
    who: Signer,
    uow: UowDep,
    env: EnvDep,
    request: Request,
) -> CodeView:
    state = counter.report_at_counter(
        uow, env, who, application_id=application_id, data=data, client=client_address(request)
    )
    return code_view(env.policies.find(state.policy_id), state)


@router.get("/overrides", summary="Manual colour changes waiting for a second officer")
def list_overrides(who: Officer, uow: UowDep, env: EnvDep) -> list[ProposalView]:
    return [_proposal(p) for p in overrides.list_proposals(uow, env, who)]


@router.post("/overrides", summary="Propose a manual colour (a second officer decides)")
def propose(
    data: ProposalInput, who: Officer, uow: UowDep, env: EnvDep, request: Request
) -> ProposalView:
    proposal = overrides.propose_override(
        uow,
        env,
        who,
        resident_id=data.resident_id,
        policy_id=data.policy,
        colour=data.colour,
        reason=data.reason,
        ends_at=data.ends_at,
        client=client_address(request),
    )
    return _proposal(proposal)


@router.post("/overrides/{override_id}/decision", summary="Approve or reject (not your own)")
def decide(
    override_id: uuid.UUID,
    data: DecisionInput,
    who: Officer,
    uow: UowDep,
    env: EnvDep,
    request: Request,
) -> ProposalView:
    decided = overrides.decide_override(
        uow,
        env,
        who,
        override_id=override_id,
        approve=data.approve,
        note=data.note,
        client=client_address(request),
    )
    return _proposal(decided)
