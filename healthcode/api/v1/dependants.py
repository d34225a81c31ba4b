"""Family members' codes (代领 / 亲友码) over the API: declare for a dependant (then
confirm with ``/declarations/{id}/confirm`` as for oneself), list them, read a
dependant's code and its short-lived token, send their daily report, appeal what is
behind their colour (as ``api/v1/appeals.py`` for one's own). Another account's
dependant: 404."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import (
    APIRouter,
    Depends,
    Path,
    Query,
    Request,
    Response,
    status,
)
from pydantic import BaseModel, Field

from healthcode.api.v1.appeals import (
    AppealDetailOut,
    AppealFormDep,
    AppealOut,
    DisputableOut,
    appeal_detail_out,
    appeal_out,
    disputable_out,
    submitted,
)
from healthcode.domain.state import State
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.hop import Hop, Unit, resident_hop
from healthcode.http.security import ResidentDep
from healthcode.http.views import CodeView, DeclarationView, TokenView, code_view, declaration_view
from healthcode.services.accounts.permissions import Principal
from healthcode.services.appeals import appeals
from healthcode.services.codes import health_codes as codes
from healthcode.services.organisations import routing
from healthcode.services.residents import daily_reports as reports
from healthcode.services.residents import declarations
from healthcode.services.residents.dependants import (
    DependantSummary,
    Relationship,
    dependant_of,
    list_dependants,
    remove_dependant,
)
from healthcode.services.residents.inputs import DailyReportInput, DeclarationInput

router = APIRouter(tags=["resident"])
PolicyId = Annotated[str, Path(max_length=32, examples=["binzhou-code", "shandong-pass"])]


class DependantView(BaseModel):
    resident_id: uuid.UUID = Field(description="the dependant's record: use it in the code paths")
    name_masked: str
    id_masked: str
    relationship: Relationship


def _view(found: DependantSummary) -> DependantView:
    return DependantView(
        resident_id=found.resident_id,
        name_masked=found.name_masked,
        id_masked=found.id_masked,
        relationship=found.relationship,
    )


@router.post(
    "/dependants/declarations",
    status_code=status.HTTP_201_CREATED,
    summary="Declare for a family member (their own ID number); confirm next",
    responses={
        409: {
            "description": "dependant_has_account, dependant_held_by_another, too_many_dependants"
        }
    },
)
def declare_for_dependant(
    data: DeclarationInput,
    relationship: Annotated[Relationship, Query(description="how they are related to you")],
    principal: ResidentDep,
    uow: UowDep,
    env: EnvDep,
) -> DeclarationView:
    submitted = declarations.submit_declaration(
        uow, env, account_id=principal.account_id, data=data, relationship=relationship
    )
    return declaration_view(submitted)


@router.get("/dependants", summary="The family members whose codes you hold")
def get_dependants(principal: ResidentDep, uow: UowDep) -> list[DependantView]:
    return [_view(d) for d in list_dependants(uow, account_id=principal.account_id)]


@router.delete(
    "/dependants/{resident_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Stop holding a family member's codes: the link ends, their record stays",
    responses={404: {"description": "not one of your family members"}},
)
def delete_dependant(
    request: Request, resident_id: uuid.UUID, principal: ResidentDep, uow: UowDep, env: EnvDep
) -> Response:
    remove_dependant(
        uow, env, account_id=principal.account_id, resident_id=resident_id,
        client=client_address(request),
    )  # fmt: skip
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/dependants/{resident_id}/codes/{policy_id}", summary="A family member's code")
def get_dependant_code(
    resident_id: uuid.UUID, policy_id: PolicyId, principal: ResidentDep, uow: UowDep, env: EnvDep
) -> CodeView:
    member = dependant_of(uow, account_id=principal.account_id, resident_id=resident_id)
    state = codes.read_code_state(uow, env, resident_id=member.resident_id, policy_id=policy_id)
    unrouted = routing.unrouted(uow, state.awaiting_signature)
    return code_view(env.policies.find(policy_id), state, unrouted=unrouted)


@router.get(
    "/dependants/{resident_id}/codes/{policy_id}/token",
    summary="A fresh short-lived token of a family member's code",
)
def get_dependant_token(
    resident_id: uuid.UUID,
    policy_id: PolicyId,
    principal: ResidentDep,
    uow: UowDep,
    env: EnvDep,
    response: Response,
) -> TokenView:
    member = dependant_of(uow, account_id=principal.account_id, resident_id=resident_id)
    shown = codes.display_code(
        uow, env, resident_id=member.resident_id, policy_id=policy_id,
        session_id=principal.session_id,
    )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return TokenView(
        token=shown.token,
        colour=shown.claims.colour,
        issued_at=shown.claims.issued_at,
        expires_at=shown.claims.expires_at,
        refresh_in=shown.refresh_in,
    )


@router.post(
    "/dependants/{resident_id}/codes/{policy_id}/reports",
    summary="A family member's daily health report (每日健康上报), made by you for them",
)
async def submit_dependant_report(
    resident_id: uuid.UUID,
    policy_id: PolicyId,
    data: DailyReportInput,
    writer: Annotated[Hop, Depends(resident_hop)],
) -> CodeView:
    """As one's own report (``/codes/{policy_id}/reports``): a signed pass is kept
    green by it, and a family member without a phone has no other way to send one."""

    def work(uow: Unit, principal: Principal) -> State:
        member = dependant_of(uow, account_id=principal.account_id, resident_id=resident_id)
        return reports.submit_daily_report(
            uow, writer.env, resident_id=member.resident_id, policy_id=policy_id, data=data
        )

    return code_view(writer.env.policies.find(policy_id), await writer.run(work))


# -- appeals for a family member (docs/dependants.md, docs/appeals.md) ----------------


@router.get(
    "/dependants/{resident_id}/codes/{policy_id}/disputable",
    summary="What you may appeal on a family member's code",
)
def get_dependant_disputable(
    resident_id: uuid.UUID, policy_id: PolicyId, principal: ResidentDep, uow: UowDep, env: EnvDep
) -> list[DisputableOut]:
    member = dependant_of(uow, account_id=principal.account_id, resident_id=resident_id)
    found = appeals.list_disputable(uow, env, resident_id=member.resident_id, policy_id=policy_id)
    return [disputable_out(d) for d in found]


@router.post(
    "/dependants/{resident_id}/appeals",
    status_code=status.HTTP_201_CREATED,
    summary="Appeal a record, manual colour or fraud finding behind a family member's code "
    "(multipart, as POST /appeals)",
    responses={409: {"description": "already_appealed"}},
)
def submit_dependant_appeal(
    request: Request,
    resident_id: uuid.UUID,
    principal: ResidentDep,
    uow: UowDep,
    env: EnvDep,
    form: AppealFormDep,
) -> AppealOut:
    member = dependant_of(uow, account_id=principal.account_id, resident_id=resident_id)
    return submitted(
        request, uow, env, form, resident_id=member.resident_id, actor_id=principal.account_id
    )


@router.get("/dependants/{resident_id}/appeals", summary="A family member's appeals, newest first")
def get_dependant_appeals(
    resident_id: uuid.UUID, principal: ResidentDep, uow: UowDep, env: EnvDep
) -> list[AppealOut]:
    member = dependant_of(uow, account_id=principal.account_id, resident_id=resident_id)
    return [appeal_out(a) for a in appeals.list_appeals(uow, env, resident_id=member.resident_id)]


@router.get(
    "/dependants/{resident_id}/appeals/{appeal_id}",
    summary="One of a family member's appeals: its timeline, earlier ones",
)
def get_dependant_appeal(
    resident_id: uuid.UUID, appeal_id: uuid.UUID, principal: ResidentDep, uow: UowDep, env: EnvDep
) -> AppealDetailOut:
    member = dependant_of(uow, account_id=principal.account_id, resident_id=resident_id)
    found = appeals.show_appeal(uow, env, resident_id=member.resident_id, appeal_id=appeal_id)
    return appeal_detail_out(found)
