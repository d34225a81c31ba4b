"""The audit log: every view of a resident's details and every officer's decision."""

from __future__ import annotations

import uuid
from typing import Any

from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork


def record(
    uow: UnitOfWork,
    env: Env,
    *,
    actor_id: uuid.UUID | None,
    action: str,
    resident_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
    client: str = "",
) -> None:
    uow.add(
        t.AuditEvent(
            at=env.clock.now(),
            actor_id=actor_id,
            action=action,
            resident_id=resident_id,
            detail=detail or {},
            client=client[:64],
        )
    )
