"""The notification centre over JSON: anyone signed in reads their own notifications
and marks them read."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from healthcode.http.deps import EnvDep, UowDep
from healthcode.http.security import PrincipalDep
from healthcode.http.views import LocalTime
from healthcode.services.notices import centre
from healthcode.services.notices.texts import describe
from healthcode.services.shared.bounds import MAX_OFFSET, InputModel

router = APIRouter(tags=["notifications"])


class NotificationView(BaseModel):
    id: uuid.UUID
    at: LocalTime
    kind: str = Field(examples=["applications_waiting"])
    read: bool
    title: str = Field(description="in the caller's language")
    body: str
    link: str = Field(description="the page it is about, on this site; empty for none")
    params: dict[str, Any]


class InboxView(BaseModel):
    total: int
    unread: int
    items: list[NotificationView]


class ReadInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[uuid.UUID] | None = Field(
        None, max_length=200, description="the notifications to mark read; omitted: all"
    )


class ReadView(BaseModel):
    marked: int
    unread: int


@router.get("/notifications", summary="My notifications, newest first")
def list_notifications(
    who: PrincipalDep,
    uow: UowDep,
    env: EnvDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> InboxView:
    inbox = centre.list_notifications(uow, who, limit=limit, offset=offset)
    items = []
    for n in inbox.items:
        text = describe(n.kind, n.payload, env.policies)
        items.append(
            NotificationView(
                id=n.id,
                at=n.at,
                kind=n.kind,
                read=n.read_at is not None,
                title=text.title,
                body=text.body,
                link=text.link,
                params=dict(n.payload),
            )
        )
    return InboxView(total=inbox.total, unread=inbox.unread, items=items)


@router.post("/notifications/read", summary="Mark my notifications read (some, or all)")
def mark_read(data: ReadInput, who: PrincipalDep, uow: UowDep, env: EnvDep) -> ReadView:
    marked = centre.mark_read(uow, env, who, ids=data.ids)
    return ReadView(marked=marked, unread=centre.count_unread(uow, who))
