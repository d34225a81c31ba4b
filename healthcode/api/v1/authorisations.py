"""Issuer authorisations (签发人员维护): apply, see one's own, decide within scope.

Anyone signed in applies (a resident's SMS sign-in is enough); the organisation,
its name and the applicant's region are checked at once. An administrator of the
organisation, or of a region covering it, approves, refuses, suspends, reactivates
or revokes, each with who and when; elsewhere is "not found".
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from healthcode.http.deps import ClientDep, EnvDep, UowDep
from healthcode.http.security import PrincipalDep, require
from healthcode.http.views import LocalTime
from healthcode.services.accounts.permissions import Permission, Principal, Role
from healthcode.services.organisations import authorisations
from healthcode.services.organisations.authorisations import (
    AuthorisationStatus,
    AuthorisationSummary,
    Decision,
)
from healthcode.services.shared.bounds import MAX_OFFSET, InputModel

router = APIRouter(tags=["issuer authorisation"])
Approver = Annotated[Principal, Depends(require(Permission.ISSUERS_APPROVE))]


class ApplicationInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    credit_code: str = Field(max_length=40, examples=["59371602T00000011"])
    organisation_name: str = Field(max_length=100, examples=["黄河五路社区居民委员会"])
    unit: str = Field("", max_length=100, examples=["社区疫情防控办公室"])
    name: str = Field(max_length=64, examples=["李娜"])
    position: str = Field(max_length=64, examples=["网格员"])
    phone: str = Field(max_length=32, examples=["13912345678"])
    region: str = Field(max_length=6, examples=["371602"], description="your county's code")
    role: Role = Field(Role.ISSUER, examples=["issuer"], description="issuer or org_admin")


class DecisionInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field("", max_length=500, examples=["已调离社区"])


class AuthorisationOut(BaseModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    organisation: str
    organisation_status: str
    role: Role
    unit: str
    name: str
    position: str
    phone_masked: str | None
    region: str | None
    status: AuthorisationStatus
    applied_at: LocalTime
    decided_at: LocalTime | None
    reason: str

    @classmethod
    def of(cls, a: AuthorisationSummary) -> AuthorisationOut:
        return cls(
            id=a.id,
            organisation_id=a.organisation_id,
            organisation=a.organisation_name,
            organisation_status=a.organisation_status,
            role=a.role,
            unit=a.unit,
            name=a.name,
            position=a.position,
            phone_masked=a.phone_masked,
            region=a.region_code,
            status=a.status,
            applied_at=a.applied_at,
            decided_at=a.decided_at,
            reason=a.reason,
        )


@router.post("/authorisations", status_code=201, summary="Apply to act for an organisation")
def apply(
    data: ApplicationInput, who: PrincipalDep, uow: UowDep, env: EnvDep, client: ClientDep
) -> AuthorisationOut:
    return AuthorisationOut.of(
        authorisations.apply(
            uow,
            env,
            who,
            credit_code=data.credit_code,
            organisation_name=data.organisation_name,
            unit=data.unit,
            name=data.name,
            position=data.position,
            phone=data.phone,
            region_code=data.region,
            role=data.role,
            client=client,
        )
    )


@router.get("/authorisations/mine", summary="My applications and authorisations")
def mine(who: PrincipalDep, uow: UowDep) -> list[AuthorisationOut]:
    return [AuthorisationOut.of(a) for a in authorisations.my_authorisations(uow, who)]


@router.get("/authorisations", summary="Authorisations I may decide, oldest first")
def list_authorisations(
    who: Approver,
    uow: UowDep,
    status: AuthorisationStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[AuthorisationOut]:
    found = authorisations.list_authorisations(uow, who, status=status, limit=limit, offset=offset)
    return [AuthorisationOut.of(a) for a in found]


@router.get("/authorisations/{authorisation_id}", summary="One authorisation")
def get_authorisation(authorisation_id: uuid.UUID, who: Approver, uow: UowDep) -> AuthorisationOut:
    return AuthorisationOut.of(authorisations.show_authorisation(uow, who, authorisation_id))


@router.post(
    "/authorisations/{authorisation_id}/{decision}",
    summary="approve | refuse | suspend | reactivate | revoke (a reason for the last three)",
)
def decide(
    authorisation_id: uuid.UUID,
    decision: Decision,
    data: DecisionInput,
    who: Approver,
    uow: UowDep,
    env: EnvDep,
    client: ClientDep,
) -> AuthorisationOut:
    return AuthorisationOut.of(
        authorisations.decide(
            uow,
            env,
            who,
            authorisation_id=authorisation_id,
            decision=decision,
            reason=data.reason,
            client=client,
        )
    )


@router.get(
    "/organisations/{organisation_id}/people",
    summary="An organisation's issuers and administrators, with their status",
)
def people(
    organisation_id: uuid.UUID,
    who: Annotated[Principal, Depends(require(Permission.ORGANISATIONS_MANAGE))],
    uow: UowDep,
) -> list[AuthorisationOut]:
    return [AuthorisationOut.of(a) for a in authorisations.issuers_of(uow, who, organisation_id)]
