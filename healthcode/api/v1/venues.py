"""Venues and checkpoints: register, list, show; their operators.

Scoped in the services: a venue outside the caller's organisations and regions, or
one it does not operate, is "not found".
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from healthcode.http.deps import ClientDep, EnvDep, UowDep
from healthcode.http.security import require, require_any
from healthcode.http.views import LocalTime
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.scanning import venues
from healthcode.services.scanning.venues import Operator, VenueKind, VenueSummary
from healthcode.services.shared.bounds import MAX_OFFSET, InputModel

router = APIRouter(tags=["venues"])
Manager = Annotated[Principal, Depends(require(Permission.ORGANISATIONS_MANAGE))]
VenueStaff = Annotated[
    Principal, Depends(require_any(Permission.ORGANISATIONS_MANAGE, Permission.SCAN))
]


class VenueInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    organisation_id: uuid.UUID = Field(description="the organisation that runs the venue")
    kind: VenueKind = Field(examples=["checkpoint"])
    name: str = Field(max_length=100, examples=["滨城区黄河五路卡口"])
    address: str = Field("", max_length=200, examples=["黄河五路与渤海七路路口"])
    region: str | None = Field(
        None,
        max_length=6,
        examples=["371602"],
        description="GB/T 2260 county; the organisation's if omitted",
    )
    gate_mode: bool = Field(
        False, description="refuse yellow and red codes outright (employer gates)"
    )
    latitude: float | None = Field(None, ge=-90, le=90, examples=[37.3835])
    longitude: float | None = Field(None, ge=-180, le=180, examples=[117.9708])


class VenueOut(BaseModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    kind: VenueKind
    name: str
    address: str
    region: str
    latitude: float | None
    longitude: float | None
    status: str
    gate_mode: bool
    code: str = Field(description="the public code printed in the venue's QR (self check-in)")
    created_at: LocalTime

    @classmethod
    def of(cls, v: VenueSummary) -> VenueOut:
        return cls(
            id=v.id,
            organisation_id=v.organisation_id,
            kind=v.kind,
            name=v.name,
            address=v.address,
            region=v.region_code,
            latitude=v.latitude,
            longitude=v.longitude,
            status=v.status.value,
            gate_mode=v.gate_mode,
            code=v.code,
            created_at=v.created_at,
        )


class OperatorInput(InputModel):
    """An existing staff account (``account_id``), or a new one (username, password, name)."""

    model_config = ConfigDict(extra="forbid")
    account_id: uuid.UUID | None = None
    username: str | None = Field(None, max_length=64, examples=["gate.guard1"])
    password: str | None = Field(None, max_length=200, examples=["门岗-值班-2026-安全"])
    display_name: str | None = Field(None, max_length=64, examples=["王强"])


class OperatorOut(BaseModel):
    account_id: uuid.UUID
    username: str
    display_name: str
    assigned_at: LocalTime
    active: bool

    @classmethod
    def of(cls, o: Operator) -> OperatorOut:
        return cls(
            account_id=o.account_id,
            username=o.username,
            display_name=o.display_name,
            assigned_at=o.assigned_at,
            active=o.active,
        )


@router.post("/venues", status_code=201, summary="Register a venue or checkpoint")
def register(
    data: VenueInput, who: Manager, uow: UowDep, env: EnvDep, client: ClientDep
) -> VenueOut:
    return VenueOut.of(
        venues.register_venue(
            uow,
            env,
            who,
            organisation_id=data.organisation_id,
            kind=data.kind,
            name=data.name,
            address=data.address,
            region_code=data.region,
            gate_mode=data.gate_mode,
            latitude=data.latitude,
            longitude=data.longitude,
            client=client,
        )
    )


@router.get("/venues", summary="The venues the caller administers or operates")
def list_venues(
    who: VenueStaff,
    uow: UowDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[VenueOut]:
    return [VenueOut.of(v) for v in venues.list_venues(uow, who, limit=limit, offset=offset)]


@router.get("/venues/{venue_id}", summary="One venue")
def get_venue(venue_id: uuid.UUID, who: VenueStaff, uow: UowDep) -> VenueOut:
    return VenueOut.of(venues.show_venue(uow, who, venue_id))


@router.get("/venues/{venue_id}/operators", summary="Who scans at the venue")
def operators(venue_id: uuid.UUID, who: Manager, uow: UowDep) -> list[OperatorOut]:
    return [OperatorOut.of(o) for o in venues.list_operators(uow, who, venue_id)]


@router.post("/venues/{venue_id}/operators", summary="Assign an operator (or create one)")
def assign(
    venue_id: uuid.UUID,
    data: OperatorInput,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
    client: ClientDep,
) -> list[OperatorOut]:
    if data.account_id is not None:
        found = venues.assign_operator(
            uow, env, who, venue_id=venue_id, account_id=data.account_id, client=client
        )
    else:
        found = venues.create_operator(
            uow,
            env,
            who,
            venue_id=venue_id,
            username=data.username or "",
            password=data.password or "",
            display_name=data.display_name or "",
            client=client,
        )
    return [OperatorOut.of(o) for o in found]


@router.delete(
    "/venues/{venue_id}/operators/{account_id}", summary="The account no longer scans here"
)
def unassign(
    venue_id: uuid.UUID,
    account_id: uuid.UUID,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
    client: ClientDep,
) -> list[OperatorOut]:
    return [
        OperatorOut.of(o)
        for o in venues.remove_operator(
            uow, env, who, venue_id=venue_id, account_id=account_id, client=client
        )
    ]
