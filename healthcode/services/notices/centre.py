"""The notification centre: a person's own notifications, newest first, and reading them.

A resident sees the notifications of the resident their account holds (whichever
account the ID number is bound to); a staff member those of their account. A
guardian also sees their family members', among their own in time order: those are
written to the guardian's account, naming the member (``events.notify``), so the
account reads and marks them as its own, and they stay the guardian's once the
member is removed, while that member's new ones no longer come. Nobody reaches
another's: marking someone else's notification read matches nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from healthcode.services.accounts.permissions import Principal
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

PAGE = 50


@dataclass(frozen=True)
class Notification:
    """A message to a resident or a staff member, and whether it was read."""

    id: uuid.UUID
    at: datetime
    kind: str
    payload: Mapping[str, Any]
    read_at: datetime | None

    @classmethod
    def of(cls, row: t.Notification) -> Notification:
        return cls(row.id, row.at, row.kind, dict(row.payload), row.read_at)


@dataclass(frozen=True)
class Inbox:
    total: int
    unread: int
    items: Sequence[Notification]


def list_notifications(
    uow: UnitOfWork, who: Principal, *, limit: int = PAGE, offset: int = 0
) -> Inbox:
    mine = uow.notifications
    rows = mine.of_person(
        resident_id=who.resident_id, account_id=who.account_id, limit=limit, offset=offset
    )
    return Inbox(
        total=mine.count(resident_id=who.resident_id, account_id=who.account_id),
        unread=count_unread(uow, who),
        items=[Notification.of(row) for row in rows],
    )


def count_unread(uow: UnitOfWork, who: Principal | None) -> int:
    if who is None:
        return 0
    return uow.notifications.count(
        resident_id=who.resident_id, account_id=who.account_id, unread=True
    )


def mark_read(
    uow: UnitOfWork, env: Env, who: Principal, *, ids: Sequence[uuid.UUID] | None = None
) -> int:
    """Mark the person's notifications read: the given ones, or all. How many changed."""
    return uow.notifications.mark_read(
        env.clock.now(), resident_id=who.resident_id, account_id=who.account_id, ids=ids
    )
