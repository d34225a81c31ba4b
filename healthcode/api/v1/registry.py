"""Organisations (communities, villages, employers): register, approve, suspend, list.

Anyone signed in may register an employer (pending until its community approves it);
a region's administrator registers communities and villages. Reads and decisions are
scoped in the services: another region's organisation is "not found". The list of a
county's communities is public: the declaration form offers it.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from healthcode.http.deps import ClientDep, EnvDep, UowDep
from healthcode.http.security import PrincipalDep, require
from healthcode.http.views import LocalTime
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.organisations import registry, routing
from healthcode.services.organisations.registry import OrganisationKind, OrganisationSummary
from healthcode.services.shared.bounds import MAX_OFFSET, InputModel

router = APIRouter(tags=["organisations"])
Manager = Annotated[Principal, Depends(require(Permission.ORGANISATIONS_MANAGE))]


class OrganisationInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    kind: OrganisationKind = Field(examples=["employer"])
    credit_code: str = Field(max_length=40, examples=["91371602MA3C4XXXXX"])
    name: str = Field(max_length=100, examples=["滨州市示例食品有限公司"])
    responsible_person: str = Field(max_length=64, examples=["王秀兰"])
    region: str = Field(max_length=6, examples=["371602"], description="GB/T 2260 county code")
    address: str = Field("", max_length=200, examples=["黄河五路 1 号"])
    contact_phone: str = Field(max_length=32, examples=["13912345678"])
    parent_id: uuid.UUID | None = Field(
        None, description="an employer: the community or village it sits in"
    )


class ReasonInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field("", max_length=500, examples=["停业整顿"])


class OrganisationOut(BaseModel):
    id: uuid.UUID
    kind: OrganisationKind
    credit_code: str
    name: str
    responsible_person: str
    region: str
    address: str
    parent_id: uuid.UUID | None
    status: str
    contact_phone_masked: str | None
    created_at: LocalTime
    approved_at: LocalTime | None

    @classmethod
    def of(cls, o: OrganisationSummary) -> OrganisationOut:
        return cls(
            id=o.id,
            kind=o.kind,
            credit_code=o.credit_code,
            name=o.name,
            responsible_person=o.responsible_person,
            region=o.region_code,
            address=o.address,
            parent_id=o.parent_id,
            status=o.status.value,
            contact_phone_masked=o.contact_phone_masked,
            created_at=o.created_at,
            approved_at=o.approved_at,
        )


class CommunityOut(BaseModel):
    id: uuid.UUID
    kind: OrganisationKind
    name: str
    address: str


@router.post("/organisations", status_code=201, summary="Register an organisation")
def register(
    data: OrganisationInput, who: PrincipalDep, uow: UowDep, env: EnvDep, client: ClientDep
) -> OrganisationOut:
    return OrganisationOut.of(
        registry.register_organisation(
            uow,
            env,
            who,
            kind=data.kind,
            credit_code=data.credit_code,
            name=data.name,
            responsible_person=data.responsible_person,
            region_code=data.region,
            address=data.address,
            contact_phone=data.contact_phone,
            parent_id=data.parent_id,
            client=client,
        )
    )


@router.get("/organisations", summary="The organisations within the caller's scope")
def list_organisations(
    who: Manager,
    uow: UowDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[OrganisationOut]:
    return [
        OrganisationOut.of(o)
        for o in registry.list_organisations(uow, who, limit=limit, offset=offset)
    ]


class UnroutedCountyOut(BaseModel):
    region: str = Field(examples=["371621"], description="GB/T 2260 county code")
    region_name: str = Field(examples=["山东省滨州市惠民县"])
    count: int
    oldest_since: LocalTime | None = Field(description="when the longest-waiting was confirmed")


class UnroutedOut(BaseModel):
    total: int
    counties: list[UnroutedCountyOut]


@router.get(
    "/organisations/unrouted",
    summary="Pass applications no issuer can review: no community or village in the county",
    description="Per county within the regions whose organisations the caller manages: "
    "waiting pass applications that went to no organisation, because the county has no "
    "active community or village. They go to the first one registered there.",
)
def unrouted(who: Manager, uow: UowDep, env: EnvDep) -> UnroutedOut:
    counties = routing.unrouted_in_reach(uow, env, who)
    return UnroutedOut(
        total=sum(c.count for c in counties),
        counties=[
            UnroutedCountyOut(
                region=c.region_code,
                region_name=c.region_name,
                count=c.count,
                oldest_since=c.oldest_since,
            )
            for c in counties
        ],
    )


@router.get("/organisations/{organisation_id}", summary="One organisation")
def get_organisation(organisation_id: uuid.UUID, who: Manager, uow: UowDep) -> OrganisationOut:
    return OrganisationOut.of(registry.show_organisation(uow, who, organisation_id))


@router.post("/organisations/{organisation_id}/approval", summary="Approve a pending employer")
def approve(
    organisation_id: uuid.UUID, who: Manager, uow: UowDep, env: EnvDep, client: ClientDep
) -> OrganisationOut:
    return OrganisationOut.of(
        registry.approve_employer(uow, env, who, organisation_id=organisation_id, client=client)
    )


@router.post("/organisations/{organisation_id}/suspension", summary="Suspend an organisation")
def suspend(
    organisation_id: uuid.UUID,
    data: ReasonInput,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
    client: ClientDep,
) -> OrganisationOut:
    return OrganisationOut.of(
        registry.set_suspended(
            uow,
            env,
            who,
            organisation_id=organisation_id,
            suspended=True,
            reason=data.reason,
            client=client,
        )
    )


@router.post("/organisations/{organisation_id}/reactivation", summary="Reactivate it")
def reactivate(
    organisation_id: uuid.UUID, who: Manager, uow: UowDep, env: EnvDep, client: ClientDep
) -> OrganisationOut:
    return OrganisationOut.of(
        registry.set_suspended(
            uow, env, who, organisation_id=organisation_id, suspended=False, client=client
        )
    )


@router.get(
    "/regions/{region_code}/communities",
    summary="Public: the active communities and villages of a county",
)
def communities(region_code: str, uow: UowDep) -> list[CommunityOut]:
    return [
        CommunityOut(id=o.id, kind=o.kind, name=o.name, address=o.address)
        for o in registry.communities_of(uow, region_code)
    ]
