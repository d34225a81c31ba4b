"""The officers' side of fraud cases: the queue, one case, propose, decide.

Four eyes (DESIGN.md §6, the rule ``organisations/overrides.py`` set for manual
colours): officer A proposes to confirm or dismiss, with a reason; officer B — another
account holding ``fraud.review`` within scope — approves (the case is confirmed or
dismissed) or rejects the proposal (the case is open again). A confirmed case writes
a credit entry (``credit_records``, naming the case and officer B), which the colour
engine reads (``BZ-RED-FRAUD``, ``SD-FRAUD``): every code of the resident is
recoloured through ``recolour`` with the case as the note, and the resident is
notified. A dismissed case changes nothing for the resident. Every step is in the
audit log. Out of scope reads as not found.

A decision locks the resident first, as every write that recolours does, then the
case: of two approvals at once, the second finds it decided (409 ``case_decided``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from healthcode.domain.errors import NotFound
from healthcode.domain.fraud import (
    CREDIT_OF,
    Cause,
    Outcome,
    Source,
    Status,
    check_decide,
    check_propose,
    check_reason,
)
from healthcode.domain.i18n import N_
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.codes.recolour import Cause as RecolourCause
from healthcode.services.codes.recolour import recolour_resident
from healthcode.services.fraud.results import CaseView, case_view
from healthcode.services.notices import events
from healthcode.services.notices.texts import Kind
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

PERMISSION = Permission.FRAUD_REVIEW


def list_cases(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    statuses: Sequence[Status] = (),
    sources: Sequence[Source] = (),
    limit: int = 50,
) -> Sequence[CaseView]:
    """Cases within the caller's scope, filtered by status and source, oldest first."""
    rows = uow.fraud_cases.within(
        who.scope(PERMISSION),
        statuses=[s.value for s in statuses],
        sources=[s.value for s in sources],
        limit=limit,
    )
    return [case_view(uow, who, row) for row in rows]


def show_case(
    uow: UnitOfWork, env: Env, who: Principal, *, case_id: uuid.UUID, client: str = ""
) -> CaseView:
    """One case with its evidence; the view is audit-logged."""
    row = _in_scope(uow, who, case_id)
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action="fraud.viewed",
        resident_id=row.resident_id,
        detail={"case": str(row.id)},
        client=client,
    )
    return case_view(uow, who, row, evidence=True)


def propose_decision(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    case_id: uuid.UUID,
    outcome: Outcome,
    reason: str,
    client: str = "",
) -> CaseView:
    """Officer A: confirm or dismiss, with a reason; nothing changes for the resident yet."""
    reason = check_reason(reason)
    row = _locked(uow, who, case_id)
    check_propose(Status(row.status), outcome, has_resident=row.resident_id is not None)
    row.status = Status.PROPOSED.value
    row.proposed_outcome, row.proposal_reason = outcome.value, reason
    row.proposed_by, row.proposed_at = who.account_id, env.clock.now()
    uow.flush()
    _audit(uow, env, who, "fraud.proposed", row, client, reason=reason)
    return case_view(uow, who, row, evidence=True)


def decide_case(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    case_id: uuid.UUID,
    approve: bool,
    note: str = "",
    client: str = "",
) -> CaseView:
    """Officer B: approve the proposal (confirm or dismiss the case) or reject it (the
    case is open again; the note, at least 10 characters, says why)."""
    note = check_reason(note, "note") if not approve else note.strip()[:500]
    row = _locked(uow, who, case_id)
    check_decide(
        Status(row.status),
        proposed_by=str(row.proposed_by) if row.proposed_by else None,
        officer=str(who.account_id),
    )
    if not approve:
        _audit(uow, env, who, "fraud.proposal_rejected", row, client, reason=note)
        row.status, row.proposed_outcome, row.proposed_by, row.proposed_at = (
            Status.OPEN.value,
            None,
            None,
            None,
        )
        row.proposal_reason, row.decision_note = "", note
        uow.flush()
        return case_view(uow, who, row, evidence=True)
    outcome = Outcome(str(row.proposed_outcome))
    row.status, row.open_key = outcome.status.value, None
    row.decided_by, row.decided_at, row.decision_note = who.account_id, env.clock.now(), note
    uow.flush()
    _audit(uow, env, who, f"fraud.{row.status}", row, client, reason=row.proposal_reason)
    if outcome is Outcome.CONFIRM:
        _confirmed(uow, env, who, row)
    return case_view(uow, who, row, evidence=True)


def _confirmed(uow: UnitOfWork, env: Env, who: Principal, row: t.FraudCase) -> None:
    """The credit entry, the recolouring it causes, and the resident's notification."""
    assert row.resident_id is not None  # check_propose refused a confirmation without one
    kind = CREDIT_OF[Cause(row.cause)]
    named = f"fraud case {row.id}: {row.proposal_reason}"[:500]  # the staff's record
    uow.add(
        t.CreditRecord(
            id=uuid.uuid4(),
            resident_id=row.resident_id,
            at=env.clock.now(),
            reason=kind.value,
            detail=named,
            case_id=row.id,
            recorded_by=who.account_id,
        )
    )
    uow.flush()
    recolour_resident(
        uow,
        env,
        resident_id=row.resident_id,
        cause=RecolourCause.CREDIT,
        actor_id=who.account_id,
        note=row.proposal_reason[:500],  # the resident's history: the officers' words
    )
    events.notify(
        uow,
        env,
        kind=Kind.FRAUD_CONFIRMED,
        params={"case": str(row.id), "kind": kind.value, "policy": _code_of(uow, env, row)},
        resident_id=row.resident_id,
    )


def _code_of(uow: UnitOfWork, env: Env, row: t.FraudCase) -> str:
    """The code the resident reads the finding on (among its reasons, beside "appeal"):
    the one scanned at the gate when they hold it, else the first they hold."""
    assert row.resident_id is not None
    held = [c.policy_id for c in uow.codes.all_of_resident(row.resident_id)]
    held = [p for p in held if p in env.policies]
    scan = uow.scans.by_id(row.scan_id) if row.scan_id is not None else None
    if scan is not None and scan.policy_id in held:
        return str(scan.policy_id)
    return held[0] if held else ""


def _in_scope(uow: UnitOfWork, who: Principal, case_id: uuid.UUID) -> t.FraudCase:
    row = uow.fraud_cases.by_id(case_id)
    scope = who.scope(PERMISSION)
    if row is None or not scope.covers(
        organisation_id=row.organisation_id, region_code=row.region_code
    ):
        raise NotFound(N_("No such fraud case"))
    return row


def _locked(uow: UnitOfWork, who: Principal, case_id: uuid.UUID) -> t.FraudCase:
    """The case in scope, locked after its resident (the order every recolour takes)."""
    found = _in_scope(uow, who, case_id)
    if found.resident_id is not None:
        uow.residents.lock(found.resident_id)
    row = uow.fraud_cases.by_id(case_id, lock=True)
    assert row is not None
    return row


def _audit(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    action: str,
    row: t.FraudCase,
    client: str,
    *,
    reason: str,
) -> None:
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action=action,
        resident_id=row.resident_id,
        detail={
            "case": str(row.id),
            "cause": row.cause,
            "outcome": row.proposed_outcome,
            "proposed_by": str(row.proposed_by) if row.proposed_by else None,
            "reason": reason,
        },
        client=client,
    )
