"""An appeal's timeline: each step is a row the resident reads, and a notification."""

from __future__ import annotations

import uuid

import structlog

from healthcode.domain.colour import Colour
from healthcode.domain.scope import Scope
from healthcode.services.accounts.permissions import Role
from healthcode.services.notices import events
from healthcode.services.notices.texts import Kind
from healthcode.services.organisations.officers import administrators_of, officers_of
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

log = structlog.get_logger()


def add_step(
    uow: UnitOfWork,
    env: Env,
    appeal: t.Appeal,
    step: str,
    *,
    colour: Colour | None = None,
    note: str = "",
    notify: bool = True,
) -> None:
    at = env.clock.now()
    uow.add(
        t.AppealStep(
            appeal_id=appeal.id,
            resident_id=appeal.resident_id,
            seq=len(uow.appeals.steps(appeal.id)) + 1,  # the appeal is new or locked
            at=at,
            step=step,
            colour=colour.value if colour is not None else None,
            note=note[:1000],
        )
    )
    if notify:
        events.notify(
            uow,
            env,
            kind=Kind.APPEAL_STEP,
            params={
                "policy": appeal.policy_id,
                "appeal": str(appeal.id),
                "step": step,
                "colour": colour.value if colour is not None else "",
            },
            resident_id=appeal.resident_id,
            at=at,
        )


def tell_deciders(uow: UnitOfWork, env: Env, appeal: t.Appeal) -> int:
    """Notify the officers who may decide a new appeal: the department's data
    operators whose scope covers the resident's region, or the issuers of the
    organisation of the override or fraud case who took no part in it (else the
    administrators of its region, else the deployment's). With nobody to decide it,
    the appeal is accepted all the same and those who can appoint someone are told
    (``_unassigned``). How many deciders were told."""
    if appeal.record_id is not None:
        officers = {
            account
            for account, scope in uow.appeals.department_officers(
                appeal.department, Role.DATA_OPERATOR.value
            )
            if Scope.of([scope]).covers_department(appeal.department, appeal.region_code)
        }
    else:
        excluding = took_part(uow, appeal)
        officers = officers_of(uow, appeal.organisation_id, appeal.region_code, excluding=excluding)
    for account in sorted(officers):
        tell_officer(uow, env, appeal, account)
    if not officers:
        _unassigned(uow, env, appeal)
    return len(officers)


def tell_officer(uow: UnitOfWork, env: Env, appeal: t.Appeal, account: uuid.UUID) -> None:
    """An appeal waits for this officer's decision; told once (``dedup_key``), also when
    the officer is appointed after the appeal came in (``assignment.py``)."""
    events.notify(
        uow,
        env,
        kind=Kind.APPEAL_WAITING,
        params={"policy": appeal.policy_id, "appeal": str(appeal.id)},
        account_id=account,
        dedup_key=f"appeal:{appeal.id}:{account}",
    )


def _unassigned(uow: UnitOfWork, env: Env, appeal: t.Appeal) -> None:
    """Nobody may decide the appeal: no data operator of the department covers the
    resident's region, or every officer who could took part in what is disputed. It
    waits in the queue of whoever is given that scope; the deployment's administrators
    (only they give a department's scope), else the region's, are told to appoint
    someone, and the audit log keeps it."""
    regional, deployment = administrators_of(uow, appeal.region_code)
    told = deployment or regional
    for account in sorted(told):
        events.notify(
            uow,
            env,
            kind=Kind.APPEAL_UNASSIGNED,
            params={
                "policy": appeal.policy_id,
                "appeal": str(appeal.id),
                "department": appeal.department,
                "region": appeal.region_code,
            },
            account_id=account,
            dedup_key=f"appeal-unassigned:{appeal.id}:{account}",
        )
    log.warning(
        "appeal.unassigned", appeal=str(appeal.id), department=appeal.department, told=len(told)
    )
    audit.record(
        uow,
        env,
        actor_id=None,
        action="appeal.unassigned",
        resident_id=appeal.resident_id,
        detail={
            "appeal": str(appeal.id),
            "department": appeal.department,
            "region": appeal.region_code,
            "told": len(told),
        },
    )


def took_part(uow: UnitOfWork, row: t.Appeal) -> set[uuid.UUID]:
    """The two officers behind the disputed manual colour or fraud finding (proposed,
    approved): neither reviews the appeal against it."""
    if row.override_id is not None:
        override = uow.overrides.by_id(row.override_id)
        assert override is not None
        return {a for a in (override.proposed_by, override.decided_by) if a is not None}
    credit = uow.appeals.credit_record(row.credit_record_id) if row.credit_record_id else None
    case = uow.fraud_cases.by_id(credit.case_id) if credit and credit.case_id else None
    if case is None:
        return set()
    return {a for a in (case.proposed_by, case.decided_by) if a is not None}
