"""The audit log, read by those who answer for it (``audit.read``: auditors and
administrators, within their scope): ``services/accounts/audit_log.py``."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.security import require
from healthcode.http.views import LocalTime
from healthcode.services.accounts.audit_log import MAX_PAGE, read_audit_log
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.shared.bounds import MAX_OFFSET, Moment

router = APIRouter(tags=["audit"])
Auditor = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]


class AuditEventOut(BaseModel):
    id: uuid.UUID
    at: LocalTime
    action: str = Field(examples=["lookup.colour", "override.approved"])
    actor_id: uuid.UUID | None
    actor: str | None = Field(description="a staff account's username, else none")
    resident_id: uuid.UUID | None
    name_masked: str | None
    id_masked: str | None
    detail: dict[str, Any]
    client: str = Field(description="the address the action came from")


class AuditPageOut(BaseModel):
    events: list[AuditEventOut]
    next_offset: int | None = Field(description="the next page's offset; none: the last page")


@router.get("/audit-events", summary="The audit log within my scope, newest first (logged)")
def audit_events(
    request: Request,
    who: Auditor,
    uow: UowDep,
    env: EnvDep,
    since: Annotated[Moment | None, Query()] = None,
    until: Annotated[Moment | None, Query()] = None,
    action: Annotated[str, Query(max_length=64, description="a prefix, e.g. lookup.")] = "",
    resident_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    id_number: Annotated[
        str, Query(max_length=40, description="the resident's ID number, in place of resident_id")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> AuditPageOut:
    page = read_audit_log(
        uow, env, who, since=since, until=until, action=action, resident_id=resident_id,
        actor_id=actor_id, id_number=id_number, limit=limit, offset=offset,
        client=client_address(request),
    )  # fmt: skip
    return AuditPageOut(
        events=[AuditEventOut.model_validate(e, from_attributes=True) for e in page.entries],
        next_offset=page.next_offset,
    )
