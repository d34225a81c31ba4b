"""Notifications for residents and staff, and the outbox of messages to send."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, false, func, or_, select, update

from healthcode.store import tables as t
from healthcode.store.repositories.base import _Repo, insert_once


def _of(resident_id: uuid.UUID | None, account_id: uuid.UUID | None) -> ColumnElement[bool]:
    """A person's own notifications: as a resident (whichever account holds the ID
    number) and as an account (staff)."""
    mine: list[ColumnElement[bool]] = []
    if resident_id is not None:
        mine.append(t.Notification.resident_id == resident_id)
    if account_id is not None:
        mine.append(t.Notification.account_id == account_id)
    return or_(*mine) if mine else false()


class Notifications(_Repo):
    def of_person(
        self,
        *,
        resident_id: uuid.UUID | None = None,
        account_id: uuid.UUID | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Sequence[t.Notification]:
        query = (
            select(t.Notification)
            .where(_of(resident_id, account_id))
            .order_by(t.Notification.at.desc(), t.Notification.id)
            .limit(limit)
            .offset(offset)
        )
        return self.session.scalars(query).all()

    def of_resident(self, resident_id: uuid.UUID, limit: int = 50) -> Sequence[t.Notification]:
        return self.of_person(resident_id=resident_id, limit=limit)

    def count(
        self,
        *,
        resident_id: uuid.UUID | None = None,
        account_id: uuid.UUID | None = None,
        unread: bool = False,
    ) -> int:
        query = select(func.count()).where(_of(resident_id, account_id))
        if unread:
            query = query.where(t.Notification.read_at.is_(None))
        return self.session.scalar(query) or 0

    def count_unread(self, resident_id: uuid.UUID) -> int:
        return self.count(resident_id=resident_id, unread=True)

    def mark_read(
        self,
        at: datetime,
        *,
        resident_id: uuid.UUID | None = None,
        account_id: uuid.UUID | None = None,
        ids: Sequence[uuid.UUID] | None = None,
    ) -> int:
        """Mark the person's unread notifications read (only ``ids`` if given): another
        person's ids are simply not matched."""
        query = update(t.Notification).where(
            _of(resident_id, account_id), t.Notification.read_at.is_(None)
        )
        if ids is not None:
            query = query.where(t.Notification.id.in_(ids))
        result = self.session.execute(query.values(read_at=at))
        return int(getattr(result, "rowcount", 0) or 0)

    def by_key(self, key: str, *, lock: bool = False) -> t.Notification | None:
        query = select(t.Notification).where(t.Notification.dedup_key == key)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(query).first()

    def add_once(self, row: t.Notification) -> bool:
        """Insert a notification with a ``dedup_key`` unless one with that key exists
        (also one a concurrent transaction has just inserted): False if it did."""
        assert row.dedup_key is not None
        if self.by_key(row.dedup_key) is not None:
            return False
        return insert_once(self.session, row)

    def by_id(self, notification_id: uuid.UUID) -> t.Notification | None:
        return self.session.get(t.Notification, notification_id)


class Outbox(_Repo):
    def due(self, at: datetime, limit: int) -> Sequence[t.OutboxMessage]:
        """Unsent messages whose attempt is due, oldest first; locked, and on PostgreSQL
        those another drain holds are skipped."""
        query = (
            select(t.OutboxMessage)
            .where(
                t.OutboxMessage.sent_at.is_(None),
                t.OutboxMessage.failed_at.is_(None),
                t.OutboxMessage.due_at <= at,
            )
            .order_by(t.OutboxMessage.due_at, t.OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return self.session.scalars(query).all()

    def by_id(self, message_id: uuid.UUID, *, lock: bool = False) -> t.OutboxMessage | None:
        return self.session.get(
            t.OutboxMessage, message_id, with_for_update=lock, populate_existing=lock
        )

    def for_notification(self, notification_id: uuid.UUID) -> Sequence[t.OutboxMessage]:
        query = select(t.OutboxMessage).where(t.OutboxMessage.notification_id == notification_id)
        return self.session.scalars(query).all()
