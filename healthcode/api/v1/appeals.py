"""Appeals (申诉) over JSON: the resident disputes a record or a manual colour; the
deciding department (or organisation) upholds or rejects it. The same services as the
pages (``web/pages/appeals``); out of scope is 404. A guardian's appeals for a family
member use the same views (``api/v1/dependants.py``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field

from healthcode.domain.colour import Colour
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.security import DeclaredDep, require_any
from healthcode.http.views import LocalTime
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.appeals import appeals, decisions
from healthcode.services.appeals.results import AppealView, Disputable, EarlierAppeal
from healthcode.services.shared.bounds import InputModel

router = APIRouter(tags=["appeals"])
Decider = Annotated[
    Principal, Depends(require_any(Permission.APPEALS_DECIDE, Permission.COLOUR_OVERRIDE))
]


class EarlierAppealOut(BaseModel):
    id: uuid.UUID
    status: str = Field(description="upheld or rejected")
    reason: str = Field(description="the resident's")
    submitted_at: LocalTime
    decided_at: LocalTime | None
    decision_note: str = Field(description="the officer's reason")

    @classmethod
    def of(cls, earlier: EarlierAppeal) -> EarlierAppealOut:
        return cls(**{f: getattr(earlier, f) for f in cls.model_fields})


class DisputableOut(BaseModel):
    subject: str = Field(description="record, override or credit (a fraud finding)")
    id: uuid.UUID
    kind: str = Field(description="the record's kind (close_contact…), or override")
    source: str = Field(description="the record's source department, or the organisation")
    start: date | None
    end: date | None
    behind_colour: bool = Field(description="one of the reasons for the colour now")
    open_appeal: uuid.UUID | None
    earlier: list[EarlierAppealOut] = Field(
        description="my decided appeals of it, newest first (to appeal again, say what is new)"
    )


class StepOut(BaseModel):
    at: LocalTime
    step: str = Field(
        description="submitted; assigned (sent to whoever decides it) or unassigned (nobody "
        "may decide it yet: it waits for an officer to be appointed); upheld or rejected; "
        "restored (recoloured) or unchanged (other reasons keep the colour); withdrawn "
        "(while open: the department withdrew the record, its import rolled back; it no "
        "longer counts, the appeal is still decided)"
    )
    colour: Colour | None = Field(
        description="restored, unchanged, withdrawn: the code's colour after that step"
    )
    note: str


class AppealOut(BaseModel):
    id: uuid.UUID
    policy: str
    subject: str
    kind: str
    source: str
    start: date | None
    end: date | None
    reason: str
    evidence: bool
    status: str = Field(description="open, upheld or rejected")
    colour_before: Colour
    submitted_at: LocalTime
    decision_note: str
    steps: list[StepOut]
    record_withdrawn: bool = Field(
        description="the disputed record no longer counts: withdrawn by the department's "
        "rollback while the appeal was open, or by the appeal upheld (always false for a "
        "manual colour or a fraud finding)"
    )


class AppealDetailOut(AppealOut):
    earlier: list[EarlierAppealOut] = Field(
        description="the resident's decided appeals of the same record, manual colour or "
        "fraud finding submitted before this one, newest first (for an officer, those they "
        "may open: GET /staff/appeals/{id})"
    )


class AppealDecisionInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    uphold: bool = Field(examples=[True])
    note: str = Field(max_length=1000, examples=["核查确认该居民当日不在同一场所，撤销密接记录"])


def disputable_out(d: Disputable) -> DisputableOut:
    fields = {f: getattr(d, f) for f in DisputableOut.model_fields if f != "earlier"}
    return DisputableOut(**fields, earlier=[EarlierAppealOut.of(e) for e in d.earlier])


def appeal_detail_out(a: AppealView) -> AppealDetailOut:
    return AppealDetailOut(
        **dict(appeal_out(a)), earlier=[EarlierAppealOut.of(e) for e in a.earlier]
    )


def appeal_out(a: AppealView) -> AppealOut:
    return AppealOut(
        id=a.id,
        policy=a.policy_id,
        subject=a.subject,
        kind=a.kind,
        source=a.source,
        start=a.start,
        end=a.end,
        reason=a.reason,
        evidence=a.evidence_type is not None,
        status=a.status,
        colour_before=a.colour_before,
        submitted_at=a.submitted_at,
        decision_note=a.decision_note,
        steps=[StepOut(at=s.at, step=s.step, colour=s.colour, note=s.note) for s in a.steps],
        record_withdrawn=a.record_withdrawn,
    )


@router.get("/codes/{policy_id}/disputable", summary="What I may appeal on this code")
def list_disputable(
    policy_id: str, resident_id: DeclaredDep, uow: UowDep, env: EnvDep
) -> list[DisputableOut]:
    found = appeals.list_disputable(uow, env, resident_id=resident_id, policy_id=policy_id)
    return [disputable_out(d) for d in found]


@dataclass
class AppealForm:
    """An appeal's multipart fields: one's own (``POST /appeals``) or a family member's
    (``POST /dependants/{id}/appeals``)."""

    policy: Annotated[str, Form(max_length=32)]
    reason: Annotated[str, Form(max_length=1000)]
    record_id: Annotated[uuid.UUID | None, Form()] = None
    override_id: Annotated[uuid.UUID | None, Form()] = None
    credit_record_id: Annotated[uuid.UUID | None, Form()] = None
    evidence: Annotated[UploadFile | None, File()] = None


AppealFormDep = Annotated[AppealForm, Depends()]


def submitted(
    request: Request,
    uow: UowDep,
    env: EnvDep,
    form: AppealForm,
    *,
    resident_id: uuid.UUID,
    actor_id: uuid.UUID | None = None,
) -> AppealOut:
    """The appeal made from ``form`` for ``resident_id`` (by ``actor_id``, a guardian)."""
    evidence = form.evidence
    made = appeals.submit_appeal(
        uow,
        env,
        resident_id=resident_id,
        policy_id=form.policy,
        record_id=form.record_id,
        override_id=form.override_id,
        credit_record_id=form.credit_record_id,
        reason=form.reason,
        upload=evidence.file if evidence is not None and evidence.filename else None,
        client=client_address(request),
        actor_id=actor_id,
    )
    return appeal_out(made)


@router.post(
    "/appeals",
    status_code=status.HTTP_201_CREATED,
    summary="Appeal a department record, a manual colour or a fraud finding (multipart; "
    "evidence optional)",
    description="Name one of `record_id`, `override_id` or `credit_record_id` (from "
    "`/codes/{policy}/disputable`); "
    "the reason in at least 10 characters; `evidence` one JPEG, PNG, WebP or PDF "
    "(HEALTHCODE_APPEAL_EVIDENCE_MAX_BYTES, 5 MB by default). 409 already_appealed.",
)
def submit_appeal(
    request: Request, resident_id: DeclaredDep, uow: UowDep, env: EnvDep, form: AppealFormDep
) -> AppealOut:
    return submitted(request, uow, env, form, resident_id=resident_id)


@router.get("/appeals", summary="My appeals, newest first")
def list_appeals(resident_id: DeclaredDep, uow: UowDep, env: EnvDep) -> list[AppealOut]:
    return [appeal_out(a) for a in appeals.list_appeals(uow, env, resident_id=resident_id)]


@router.get("/appeals/{appeal_id}", summary="One of my appeals: its timeline, earlier ones")
def show_appeal(
    appeal_id: uuid.UUID, resident_id: DeclaredDep, uow: UowDep, env: EnvDep
) -> AppealDetailOut:
    found = appeals.show_appeal(uow, env, resident_id=resident_id, appeal_id=appeal_id)
    return appeal_detail_out(found)


@router.get("/staff/appeals", summary="Open appeals I may decide, oldest first")
def waiting_appeals(who: Decider, uow: UowDep, env: EnvDep) -> list[AppealOut]:
    return [appeal_out(a) for a in decisions.list_waiting_appeals(uow, env, who)]


@router.get("/staff/appeals/{appeal_id}", summary="An appeal I may decide, and earlier ones")
def appeal_for_officer(
    request: Request, appeal_id: uuid.UUID, who: Decider, uow: UowDep, env: EnvDep
) -> AppealDetailOut:
    shown = decisions.show_appeal_to_officer(
        uow, env, who, appeal_id=appeal_id, client=client_address(request)
    )
    return appeal_detail_out(shown)


@router.post(
    "/staff/appeals/{appeal_id}/decision",
    summary="Uphold (withdraw the record, recolour) or reject an appeal",
    responses={409: {"description": "appeal_decided"}, 403: {"description": "own_decision"}},
)
def decide_appeal(
    request: Request,
    appeal_id: uuid.UUID,
    data: AppealDecisionInput,
    who: Decider,
    uow: UowDep,
    env: EnvDep,
) -> AppealOut:
    decided = decisions.decide_appeal(
        uow,
        env,
        who,
        appeal_id=appeal_id,
        uphold=data.uphold,
        note=data.note,
        client=client_address(request),
    )
    return appeal_out(decided)
