"""Reading the audit log (DESIGN.md §5: the auditor role, the command centre's log).

Every look-up by another department, every view of a resident's details and every
officer's decision is written to ``audit_log`` (``audit.record``); this is how the
people who answer for them read it: ``audit.read`` holders within their scope (a
region's: the events about its residents; a deployment-wide scope: every event),
filtered by time, action, resident (by id, or by ID number) and actor, newest first, a
page at a time. Each read is itself logged (``audit.read``, with the filters; an ID
number masked), so the log shows who looked.
Until stop 44 nothing read it: the auditor role held a permission no route used (an
outside probe).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from healthcode.domain.clock import day_of
from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.identity.id_number import mask_id_number, parse_id_number
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store.uow import AuditQuery, UnitOfWork

MAX_PAGE = 200


@dataclass(frozen=True)
class AuditEntry:
    id: uuid.UUID
    at: datetime
    action: str
    actor_id: uuid.UUID | None
    actor: str | None  # a staff account's username; None for a resident or a system
    resident_id: uuid.UUID | None
    name_masked: str | None
    id_masked: str | None
    detail: dict[str, Any]
    client: str


@dataclass(frozen=True)
class AuditPage:
    entries: tuple[AuditEntry, ...]
    next_offset: int | None  # None: the last page


def read_audit_log(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    action: str = "",
    resident_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    id_number: str = "",
    limit: int = 50,
    offset: int = 0,
    client: str = "",
) -> AuditPage:
    """One page of the events within the caller's scope that match the filters
    (``action``: a prefix; a resident by their id or their ID number), newest first."""
    if since is not None and until is not None and until <= since:
        raise InvalidInput.single("until", "before_since", N_("The end must be after the start"))
    asked_for = ""
    if id_number:
        resident_id, asked_for = _resident_of(uow, env, id_number, resident_id)
    scope = who.scope(Permission.AUDIT_READ)
    asked = AuditQuery(since, until, action, resident_id, actor_id, limit, offset, scope)
    rows = [] if asked_for and resident_id is None else uow.audit.page(asked)
    entries = tuple(
        AuditEntry(
            id=event.id,
            at=event.at,
            action=event.action,
            actor_id=event.actor_id,
            actor=username,
            resident_id=event.resident_id,
            name_masked=name_masked,
            id_masked=id_masked,
            detail=dict(event.detail),
            client=event.client,
        )
        for event, username, name_masked, id_masked in rows[: asked.limit]
    )
    read = _filters(asked) | ({"id_number": asked_for} if asked_for else {})
    audit.record(uow, env, actor_id=who.account_id, action="audit.read", detail=read, client=client)
    more = len(rows) > asked.limit
    return AuditPage(entries, asked.offset + asked.limit if more else None)


def _resident_of(
    uow: UnitOfWork, env: Env, id_number: str, resident_id: uuid.UUID | None
) -> tuple[uuid.UUID | None, str]:
    """The resident an ID number names (an auditor knows the number, not our ids; stop
    45), or None if none has registered with it (an empty page, as for a resident out
    of scope), and the number masked as the log of this read keeps it."""
    if resident_id is not None:
        raise InvalidInput.single(
            "id_number", "one_of", N_("Give the resident's ID number or their id, not both")
        )
    card = parse_id_number(id_number, today=day_of(env.clock.now()), field="id_number")
    found = uow.residents.by_id_hash(env.protector.keyed_hash(card.value, kind="id_number"))
    return (found.id if found is not None else None), mask_id_number(card.value)


def _filters(asked: AuditQuery) -> dict[str, Any]:
    """What was asked for, as the log keeps it (JSON)."""
    shown = {
        "since": asked.since.isoformat() if asked.since else None,
        "until": asked.until.isoformat() if asked.until else None,
        "action": asked.action or None,
        "resident_id": str(asked.resident_id) if asked.resident_id else None,
        "actor_id": str(asked.actor_id) if asked.actor_id else None,
        "offset": asked.offset or None,
    }
    return {key: value for key, value in shown.items() if value is not None}
