"""The resident's messages (colour changed, …) and whether they have been read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from healthcode.services.residents.results import Notification
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork


def list_notifications(uow: UnitOfWork, *, resident_id: uuid.UUID | None) -> Sequence[Notification]:
    if resident_id is None:
        return ()
    return [Notification.of(row) for row in uow.notifications.of_resident(resident_id)]


def count_unread(uow: UnitOfWork, *, resident_id: uuid.UUID | None) -> int:
    return uow.notifications.count_unread(resident_id) if resident_id else 0


def mark_all_read(uow: UnitOfWork, env: Env, *, resident_id: uuid.UUID | None) -> None:
    if resident_id is not None:
        uow.notifications.mark_read(resident_id, env.clock.now())
