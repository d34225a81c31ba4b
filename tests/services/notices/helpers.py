"""Reading what the notifications tests look for: notifications by kind, outbox rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork


def notes(uow: UnitOfWork, kind: str) -> Sequence[t.Notification]:
    query = select(t.Notification).where(t.Notification.kind == kind)
    return uow.session.scalars(query.order_by(t.Notification.at)).all()


def outbox(uow: UnitOfWork, kind: str | None = None) -> Sequence[t.OutboxMessage]:
    query = select(t.OutboxMessage)
    if kind is not None:
        query = query.where(t.OutboxMessage.kind == kind)
    return uow.session.scalars(query.order_by(t.OutboxMessage.created_at)).all()


def recipients(rows: Sequence[t.Notification]) -> set[uuid.UUID | None]:
    return {row.account_id or row.resident_id for row in rows}
