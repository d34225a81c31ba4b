"""Telling a community's epidemic-prevention contact (防控联系人) about a resident.

When an issuer finds a resident not eligible (red), the community the resident
belongs to is told, so someone follows up (seed 000 §二: 红色…不满足出行条件). This
records the notice (a row the outbound channel delivers from, and the audit log);
the notifications part sends it by SMS or webhook and sets ``sent_at``.
"""

from __future__ import annotations

import logging
import uuid

from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

log = logging.getLogger(__name__)


def tell_prevention_contact(
    uow: UnitOfWork,
    env: Env,
    organisation: t.Organisation,
    resident_id: uuid.UUID,
    reason: str,
) -> t.PreventionNotice:
    """Record that the organisation's prevention contact is to be told, and why."""
    notice = t.PreventionNotice(
        id=uuid.uuid4(),
        organisation_id=organisation.id,
        resident_id=resident_id,
        at=env.clock.now(),
        reason=reason[:500],
    )
    uow.add(notice)
    uow.flush()
    audit.record(
        uow,
        env,
        actor_id=None,
        action="prevention.notified",
        resident_id=resident_id,
        detail={"organisation": str(organisation.id), "notice": str(notice.id)},
    )
    log.info(
        "prevention.notified organisation=%s notice=%s contact=%s",
        organisation.id,
        notice.id,
        organisation.contact_phone_masked or "-",
    )
    return notice
