"""An appeal nobody could decide finds its officer when one is appointed.

An appeal with nobody to decide it waits (step ``unassigned``) and the administrators
are told to appoint someone (``steps._unassigned``). Giving an officer the role and
scope that may decide it used to change nothing: the resident's timeline still read
"waiting for an officer to be appointed" and the new officer was not told. Every
grant path (``organisations/staff_accounts.py``: a new account, roles given, an
account reactivated, an account made at the console, ``healthcode staff add``;
``organisations/authorisations.py``: an authorisation approved or reactivated)
calls ``assign_waiting`` after the grant, in its transaction: each such appeal the
account may now decide gets the step ``assigned`` (the resident is told, as at
submission) and the officer is told (as ``tell_deciders`` tells), once.
"""

from __future__ import annotations

import uuid

import structlog

from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.accounts.sessions import principal_of
from healthcode.services.appeals.decisions import may_decide
from healthcode.services.appeals.results import ASSIGNED, OPEN, UNASSIGNED, decider_of
from healthcode.services.appeals.steps import add_step, tell_officer, took_part
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

log = structlog.get_logger()


def assign_waiting(
    uow: UnitOfWork,
    env: Env,
    *,
    account_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    client: str = "",
) -> int:
    """Send the account every open ``unassigned`` appeal it may now decide (not one
    against a decision it took part in); how many. Safe to repeat: an appeal once
    ``assigned`` is not picked again, so a role given twice tells once."""
    account = uow.accounts.by_id(account_id)
    if account is None or account.disabled_at is not None:
        return 0  # a deactivated account decides nothing (its reactivation calls again)
    who = principal_of(uow, account_id=account_id)
    found = uow.appeals.unassigned(
        who.scope(Permission.APPEALS_DECIDE).departments_only,
        who.scope(Permission.COLOUR_OVERRIDE),
        who.scope(Permission.FRAUD_REVIEW),
    )
    assigned = 0
    for candidate in found:
        if _decides(uow, who, candidate) and _assign(uow, env, who, candidate.id, actor_id, client):
            assigned += 1
    return assigned


def _decides(uow: UnitOfWork, who: Principal, row: t.Appeal) -> bool:
    return may_decide(who, row) and who.account_id not in took_part(uow, row)


def _assign(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    appeal_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    client: str,
) -> bool:
    """Lock as a decision does (the resident, then the appeal), check it still waits,
    then the step, the officer's notification and the audit entry."""
    candidate = uow.appeals.by_id(appeal_id)
    assert candidate is not None
    uow.residents.lock(candidate.resident_id)
    row = uow.appeals.by_id(appeal_id, lock=True)
    assert row is not None
    steps = {s.step for s in uow.appeals.steps(row.id)}
    if row.status != OPEN or UNASSIGNED not in steps or ASSIGNED in steps:
        return False  # decided, or assigned by a grant that committed first
    add_step(uow, env, row, ASSIGNED, note=decider_of(uow, row))
    tell_officer(uow, env, row, who.account_id)
    log.info("appeal.assigned", appeal=str(row.id), officer=str(who.account_id))
    audit.record(
        uow,
        env,
        actor_id=actor_id,
        action="appeal.assigned",
        resident_id=row.resident_id,
        detail={
            "appeal": str(row.id),
            "officer": str(who.account_id),
            "department": row.department,
            "region": row.region_code,
        },
        client=client,
    )
    return True
