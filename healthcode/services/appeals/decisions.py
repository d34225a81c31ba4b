"""The officer's side of an appeal: the queue, and upholding or rejecting.

A record's appeal is decided by a DATA_OPERATOR of the record's source department
(``appeals.decide`` within ``dept:<department>`` or ``dept:<department>/<region>``,
``domain/scope.py``); a manual colour's appeal by an officer holding
``colour.override`` in the override's organisation (else region), and a fraud
finding's (a credit record) by one holding ``fraud.review`` where its case was
decided, but never one of the two officers who decided that override or that case.
Out of scope reads as not found.

Upheld, the record is withdrawn (``withdrawn_at``, ``withdrawn_reason``; it no longer
counts), the override set aside or the credit record revoked (``revoked_at``), and
every code of the resident is recoloured with
the appeal as the cause, so the colour the rules then give is restored and the
change stands in the resident's history. Rejected, nothing else changes. Both lock
the resident first, as every write that recolours does, then the appeal: of two
decisions at once, the second finds it decided.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace

from healthcode.domain.colour import Colour
from healthcode.domain.errors import Conflict, Forbidden, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.reasons import written_reason
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.appeals.results import (
    OPEN,
    REJECTED,
    RESTORED,
    UNCHANGED,
    UPHELD,
    AppealView,
    EvidenceFile,
    appeal_view,
    decided_before,
    evidence_file,
    subject_key,
)
from healthcode.services.appeals.steps import add_step, took_part
from healthcode.services.codes.recolour import Cause, recolour_resident
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

MIN_NOTE = 10


class AppealDecided(Conflict):
    code = "appeal_decided"


class OwnDecision(Forbidden):
    code = "own_decision"


def list_waiting_appeals(
    uow: UnitOfWork, env: Env, who: Principal, *, limit: int = 50
) -> Sequence[AppealView]:
    """Open appeals the caller may decide, oldest first."""
    rows = uow.appeals.waiting(
        who.scope(Permission.APPEALS_DECIDE).departments_only,
        who.scope(Permission.COLOUR_OVERRIDE),
        who.scope(Permission.FRAUD_REVIEW),
        limit=limit,
    )  # not those against a decision of the caller's own: another officer decides them
    return [appeal_view(uow, env, row) for row in rows if who.account_id not in took_part(uow, row)]


def show_appeal_to_officer(
    uow: UnitOfWork, env: Env, who: Principal, *, appeal_id: uuid.UUID, client: str = ""
) -> AppealView:
    """The appeal, and the resident's earlier decided appeals of the same thing that
    the caller may open too (one decided in another region, before the resident
    moved, is that region's). Each view is audit-logged (``appeal.viewed``), as its
    evidence's is: until stop 44 only the evidence's was (an outside probe)."""
    row = uow.appeals.by_id(appeal_id)
    if row is None or not may_decide(who, row):
        raise NotFound(N_("No such appeal"))
    _viewed(uow, env, who, row, "appeal.viewed", client)
    theirs = [r for r in uow.appeals.of_resident(row.resident_id) if may_decide(who, r)]
    earlier = decided_before(theirs, subject_key(row), row)
    return replace(appeal_view(uow, env, row), earlier=earlier)


def evidence_for_officer(
    uow: UnitOfWork, env: Env, who: Principal, *, appeal_id: uuid.UUID, client: str = ""
) -> EvidenceFile:
    """The evidence of an appeal the caller may decide; each view audit-logged."""
    row = uow.appeals.by_id(appeal_id)
    found = evidence_file(row) if row is not None and may_decide(who, row) else None
    if found is None or row is None:
        raise NotFound(N_("No such file"))
    _viewed(uow, env, who, row, "appeal.evidence_viewed", client)
    return found


def _viewed(
    uow: UnitOfWork, env: Env, who: Principal, row: t.Appeal, action: str, client: str
) -> None:
    """An officer's view of what a resident sent, in the audit log."""
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action=action,
        resident_id=row.resident_id,
        detail={"appeal": str(row.id)},
        client=client,
    )


def decide_appeal(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    appeal_id: uuid.UUID,
    uphold: bool,
    note: str,
    client: str = "",
) -> AppealView:
    """Uphold (withdraw the record, recolour) or reject, with the reason in words."""
    found = uow.appeals.by_id(appeal_id)
    if found is None or not may_decide(who, found):
        raise NotFound(N_("No such appeal"))
    uow.residents.lock(found.resident_id)  # the resident first, as every recolour
    row = uow.appeals.by_id(appeal_id, lock=True)
    assert row is not None
    if row.status != OPEN:
        raise AppealDecided(N_("This appeal has already been decided"))
    note = _note(note)
    _took_no_part(uow, who, row)
    now = env.clock.now()
    row.status = UPHELD if uphold else REJECTED
    row.open_key, row.decided_by, row.decided_at, row.decision_note = (
        None,
        who.account_id,
        now,
        note,
    )
    uow.flush()
    add_step(uow, env, row, row.status, note=note)
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action=f"appeal.{row.status}",
        resident_id=row.resident_id,
        detail={"appeal": str(row.id), "department": row.department, "note": note},
        client=client,
    )
    if uphold:
        _withdraw(uow, env, row, note)
        _restore(uow, env, who, row)
    return appeal_view(uow, env, row)


def may_decide(who: Principal, row: t.Appeal) -> bool:
    if row.record_id is not None:
        scope = who.scope(Permission.APPEALS_DECIDE).departments_only
        return scope.covers_department(row.department, row.region_code)
    permission = Permission.FRAUD_REVIEW if row.credit_record_id else Permission.COLOUR_OVERRIDE
    scope = who.scope(permission)
    return scope.covers(organisation_id=row.organisation_id, region_code=row.region_code)


def _took_no_part(uow: UnitOfWork, who: Principal, row: t.Appeal) -> None:
    if who.account_id in took_part(uow, row):
        raise OwnDecision(
            N_("You took part in this decision: another officer must decide the appeal")
        )


def _withdraw(uow: UnitOfWork, env: Env, row: t.Appeal, note: str) -> None:
    reason = f"appeal {row.id}: {note}"[:500]
    if row.record_id is not None:
        record = uow.appeals.record(row.record_id, lock=True)
        assert record is not None
        if record.withdrawn_at is None:
            record.withdrawn_at = env.clock.now()
        # withdrawn for good, also one its batch's rollback withdrew first: sent again,
        # a rolled-back record is in force again, a record found wrong on appeal is not
        record.withdrawn_reason = reason
    elif row.override_id is not None:
        override = uow.overrides.by_id(row.override_id, lock=True)
        assert override is not None
        override.status = "withdrawn"  # no longer approved: the engine no longer sees it
        override.decision_note = reason
    elif row.credit_record_id is not None:
        credit = uow.appeals.credit_record(row.credit_record_id, lock=True)
        assert credit is not None
        if credit.revoked_at is None:  # the engine no longer counts it from now
            credit.revoked_at = env.clock.now()
    uow.flush()


def _restore(uow: UnitOfWork, env: Env, who: Principal, row: t.Appeal) -> None:
    """Recolour every code of the resident; the appeal's own code's colour is a step:
    ``restored``, or ``unchanged`` when something else keeps that colour (a fraud
    finding confirmed meanwhile, another record): "recoloured" would not be true."""
    before = uow.codes.of_resident(row.resident_id, row.policy_id)
    was = before.colour if before is not None else None
    recolour_resident(
        uow,
        env,
        resident_id=row.resident_id,
        cause=Cause.APPEAL,
        actor_id=who.account_id,
        note=row.decision_note,
    )
    code = uow.codes.of_resident(row.resident_id, row.policy_id)
    if code is not None:
        step = UNCHANGED if code.colour == was else RESTORED
        add_step(uow, env, row, step, colour=Colour(code.colour))


def _note(note: str) -> str:
    return written_reason(note, field="note", least=MIN_NOTE, most=1000)
