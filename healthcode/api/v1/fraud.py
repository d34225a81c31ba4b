"""Fraud cases over JSON (issue 13 item 6): the queue, one case with its evidence,
officer A's proposal and officer B's decision. The same services as the pages
(``web/pages/fraud``); out of scope is 404, one's own proposal 403 ``own_proposal``,
a case decided already 409 ``case_decided``."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from healthcode.domain.fraud import Cause, Outcome, Source, Status
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.security import require
from healthcode.http.views import LocalTime
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.fraud import decisions
from healthcode.services.fraud.results import CaseView
from healthcode.services.shared.bounds import InputModel

router = APIRouter(tags=["fraud"])
Reviewer = Annotated[Principal, Depends(require(Permission.FRAUD_REVIEW))]


class FlagOut(BaseModel):
    code: str = Field(description="same_token_elsewhere, distant_venues, …")
    venue: str = Field(description="where else the code was read (a sighting elsewhere)")
    at: LocalTime | None
    km: float | None = Field(description="how far apart the two venues are")


class EvidenceOut(BaseModel):
    kind: str = Field(description="scan, record or declaration")
    id: uuid.UUID
    at: LocalTime | None
    venue: str
    colour: str | None
    verdict: str | None
    flags: list[FlagOut]
    record_kind: str
    department: str
    region: str | None
    start: date | None
    end: date | None
    withdrawn: bool
    trips: list[tuple[str, str, str]] = Field(description="declared stays: region, start, end")


class CaseOut(BaseModel):
    id: uuid.UUID
    status: Status
    source: Source
    cause: Cause
    at: LocalTime
    resident: str = Field(description="masked name and ID number")
    region: str
    proposed_outcome: Outcome | None
    proposal_reason: str
    proposed_at: LocalTime | None
    mine: bool = Field(description="you proposed it: a second officer decides it")
    decided_at: LocalTime | None
    decision_note: str
    credit_kind: str | None = Field(description="the credit entry a confirmed case wrote")
    evidence: list[EvidenceOut]


class ProposalInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Outcome = Field(examples=["confirm"])
    reason: str = Field(max_length=500, examples=["两处卡口相隔110公里，间隔8分钟，核实为转发截图"])


class DecisionInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool = Field(examples=[True])
    note: str = Field("", max_length=500, examples=["复核证据无误，同意"])


def case_out(c: CaseView) -> CaseOut:
    return CaseOut(
        id=c.id,
        status=c.status,
        source=c.source,
        cause=c.cause,
        at=c.at,
        resident=f"{c.name_masked} {c.id_masked}".strip(),
        region=c.region_code,
        proposed_outcome=c.proposed_outcome,
        proposal_reason=c.proposal_reason,
        proposed_at=c.proposed_at,
        mine=c.mine,
        decided_at=c.decided_at,
        decision_note=c.decision_note,
        credit_kind=c.credit_kind,
        evidence=[
            EvidenceOut(
                kind=e.kind,
                id=e.ref_id,
                at=e.at,
                venue=e.venue,
                colour=e.colour,
                verdict=e.verdict,
                flags=[FlagOut(code=f.code, venue=f.venue, at=f.at, km=f.km) for f in e.flags],
                record_kind=e.record_kind,
                department=e.department,
                region=e.region,
                start=e.start,
                end=e.end,
                withdrawn=e.withdrawn,
                trips=list(e.trips),
            )
            for e in c.evidence
        ],
    )


@router.get("/staff/fraud-cases", summary="Fraud cases in my scope, oldest first")
def list_cases(
    who: Reviewer,
    uow: UowDep,
    env: EnvDep,
    status: Annotated[list[Status] | None, Query()] = None,
    source: Annotated[list[Source] | None, Query()] = None,
) -> list[CaseOut]:
    found = decisions.list_cases(uow, env, who, statuses=status or (), sources=source or ())
    return [case_out(c) for c in found]


@router.get("/staff/fraud-cases/{case_id}", summary="A fraud case with its evidence (logged)")
def show_case(
    request: Request, case_id: uuid.UUID, who: Reviewer, uow: UowDep, env: EnvDep
) -> CaseOut:
    found = decisions.show_case(uow, env, who, case_id=case_id, client=client_address(request))
    return case_out(found)


@router.post(
    "/staff/fraud-cases/{case_id}/proposal",
    summary="Officer A: propose to confirm or dismiss, with a reason",
    responses={409: {"description": "already_proposed, case_decided, no_resident"}},
)
def propose(
    request: Request,
    case_id: uuid.UUID,
    data: ProposalInput,
    who: Reviewer,
    uow: UowDep,
    env: EnvDep,
) -> CaseOut:
    found = decisions.propose_decision(
        uow,
        env,
        who,
        case_id=case_id,
        outcome=data.outcome,
        reason=data.reason,
        client=client_address(request),
    )
    return case_out(found)


@router.post(
    "/staff/fraud-cases/{case_id}/decision",
    summary="Officer B (not A): approve the proposal, or reject it with a note",
    responses={
        403: {"description": "own_proposal"},
        409: {"description": "case_decided, not_proposed"},
    },
)
def decide(
    request: Request,
    case_id: uuid.UUID,
    data: DecisionInput,
    who: Reviewer,
    uow: UowDep,
    env: EnvDep,
) -> CaseOut:
    found = decisions.decide_case(
        uow,
        env,
        who,
        case_id=case_id,
        approve=data.approve,
        note=data.note,
        client=client_address(request),
    )
    return case_out(found)
