"""The resident's side of an appeal: what they may dispute, submitting, the timeline.

A resident disputes one department record of theirs (its kind and source department
are named; nothing of the department's data beyond the record itself), the manual
colour on one of their codes, or a fraud finding behind it (a credit record), with a
reason and optionally an image or PDF. The appeal goes at once to whoever may decide
it (``decisions.py``): the record's source department, within the resident's region;
for a manual colour or a fraud finding, the organisation (else region) the override
was decided in or the fraud case was opened for. One open appeal per thing disputed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import BinaryIO

from healthcode.domain.colour import Colour
from healthcode.domain.errors import Conflict, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.reasons import written_reason
from healthcode.domain.state import EvidenceKind, State
from healthcode.services.appeals import evidence
from healthcode.services.appeals.results import (
    ASSIGNED,
    CREDIT,
    OPEN,
    OVERRIDE,
    RECORD,
    UNASSIGNED,
    AppealView,
    Disputable,
    EvidenceFile,
    appeal_view,
    decided_before,
    decider_name,
    decider_of,
    disputable_credit,
    disputable_record,
    evidence_file,
    subject_key,
)
from healthcode.services.appeals.steps import add_step, tell_deciders
from healthcode.services.codes.recolour import current_state
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

MIN_REASON, MAX_REASON = 10, 1000


class AlreadyAppealed(Conflict):
    """``appeal_id``: the open appeal, where a form sent twice (a double tap) lands."""

    code = "already_appealed"


def list_disputable(
    uow: UnitOfWork, env: Env, *, resident_id: uuid.UUID, policy_id: str
) -> Sequence[Disputable]:
    """The resident's records in force, those behind the code's colour first, and the
    manual colour on the code if one paints it; each with its decided appeals."""
    policy = env.policies.find(policy_id)
    state = current_state(uow, env, resident_id=resident_id, policy=policy)
    if state.colour is Colour.NONE:
        return []  # no such code: nothing on it to dispute
    behind = {e.id for r in state.reasons for e in r.evidence if e.kind is EvidenceKind.RECORD}
    found = [
        disputable_record(row, str(row.id) in behind, _open(uow, RECORD, row.id))
        for row in uow.data_records.of_resident(resident_id)
        if row.withdrawn_at is None
    ]
    found.sort(key=lambda d: (not d.behind_colour, d.start or d.end or state.evaluated_at.date()))
    for reason in state.reasons:
        for fact in reason.evidence:
            if fact.kind is EvidenceKind.OVERRIDE:
                found.insert(0, _override(uow, uuid.UUID(fact.id)))
            elif fact.kind is EvidenceKind.CREDIT_RECORD:
                found.insert(0, _credit(uow, uuid.UUID(fact.id)))
    past = uow.appeals.of_resident(resident_id)
    return [replace(d, earlier=decided_before(past, f"{d.subject}:{d.id}")) for d in found]


def _paints(state: State, override_id: uuid.UUID) -> bool:
    """The override is what colours the code now (its reason leads the state's)."""
    return any(
        fact.kind is EvidenceKind.OVERRIDE and fact.id == str(override_id)
        for reason in state.reasons
        for fact in reason.evidence
    )


def submit_appeal(
    uow: UnitOfWork,
    env: Env,
    *,
    resident_id: uuid.UUID,
    policy_id: str,
    record_id: uuid.UUID | None = None,
    override_id: uuid.UUID | None = None,
    credit_record_id: uuid.UUID | None = None,
    reason: str,
    upload: BinaryIO | None = None,
    client: str = "",
    actor_id: uuid.UUID | None = None,
) -> AppealView:
    """Dispute one record, manual colour or fraud finding of one's own; it goes to its
    decider. ``actor_id``: the guardian's account when they appeal for a family member
    whose codes they hold (``dependants.dependant_of`` first); the audit names them."""
    policy = env.policies.find(policy_id)
    reason = _reason(reason)
    uow.residents.lock(resident_id)  # one appeal at a time per resident; the colour read fresh
    resident = uow.residents.by_id(resident_id)
    row = _subject(uow, resident, policy.id, record_id, override_id, credit_record_id)
    if (open_appeal := uow.appeals.open_for(row.open_key or "")) is not None:
        raise AlreadyAppealed(
            N_("You have already appealed this; wait for the decision"),
            appeal_id=str(open_appeal.id),
        )
    state = current_state(uow, env, resident_id=resident_id, policy=policy)
    colour = state.colour
    if row.override_id is not None and not _paints(state, row.override_id):
        # ended (its end, or the rules' first change): nothing of it left to undo
        raise NotFound(N_("No such manual colour"))
    if colour is Colour.NONE:  # its outcome would show on no code of theirs
        raise InvalidInput.single(
            "policy",
            "no_code",
            N_("You hold no such code: appeal under the code whose colour you dispute"),
        )
    kept = evidence.store_evidence(env, upload)
    row.reason, row.policy_id, row.colour_before = reason, policy.id, colour.value
    row.submitted_at = env.clock.now()
    if kept is not None:
        row.evidence_key, row.evidence_type, row.evidence_size = kept
    uow.add(row)
    uow.flush()
    add_step(uow, env, row, "submitted", notify=False)
    decider = decider_of(uow, row)
    # with nobody who may decide it, it waits for someone to be appointed: the
    # resident is told that, not that it went to an office where no one will see it
    told = tell_deciders(uow, env, row)
    add_step(uow, env, row, ASSIGNED if told else UNASSIGNED, note=decider)
    audit.record(
        uow,
        env,
        actor_id=actor_id,
        action="appeal.submitted",
        resident_id=resident_id,
        detail={
            "appeal": str(row.id),
            "record": str(record_id or ""),
            "override": str(override_id or ""),
            "credit_record": str(credit_record_id or ""),
            "evidence": row.evidence_type or "",
        },
        client=client,
    )
    return appeal_view(uow, env, row)


def list_appeals(uow: UnitOfWork, env: Env, *, resident_id: uuid.UUID) -> Sequence[AppealView]:
    return [appeal_view(uow, env, row) for row in uow.appeals.of_resident(resident_id)]


def show_appeal(
    uow: UnitOfWork, env: Env, *, resident_id: uuid.UUID, appeal_id: uuid.UUID
) -> AppealView:
    """One's own appeal with its timeline and one's earlier appeals of the same thing;
    another's is not found."""
    row = uow.appeals.by_id(appeal_id)
    if row is None or row.resident_id != resident_id:
        raise NotFound(N_("No such appeal"))
    earlier = decided_before(uow.appeals.of_resident(resident_id), subject_key(row), row)
    return replace(appeal_view(uow, env, row), earlier=earlier)


def own_evidence(uow: UnitOfWork, *, resident_id: uuid.UUID, appeal_id: uuid.UUID) -> EvidenceFile:
    row = uow.appeals.by_id(appeal_id)
    found = evidence_file(row) if row is not None and row.resident_id == resident_id else None
    if found is None:
        raise NotFound(N_("No such file"))
    return found


def _subject(
    uow: UnitOfWork,
    resident: t.Resident | None,
    policy_id: str,
    record_id: uuid.UUID | None,
    override_id: uuid.UUID | None,
    credit_record_id: uuid.UUID | None,
) -> t.Appeal:
    """A new appeal naming what it disputes and who decides it; others' are not found."""
    named = [i for i in (record_id, override_id, credit_record_id) if i is not None]
    if resident is None or len(named) != 1:
        raise InvalidInput.single(
            "record_id",
            "required",
            N_("Choose what you dispute: a record, a manual colour or a fraud finding"),
        )
    appeal = t.Appeal(
        id=uuid.uuid4(), resident_id=resident.id, status=OPEN, region_code=resident.region_code
    )
    if record_id is not None:
        record = uow.appeals.record(record_id)
        if record is None or record.resident_id != resident.id or record.withdrawn_at is not None:
            raise NotFound(N_("No such record"))
        appeal.record_id, appeal.department = record.id, record.department
        appeal.open_key = f"{RECORD}:{record.id}"
        return appeal
    if credit_record_id is not None:
        return _against_finding(uow, appeal, credit_record_id)
    assert override_id is not None
    override = uow.overrides.by_id(override_id)
    if (
        override is None
        or override.resident_id != resident.id
        or override.policy_id != policy_id
        or override.status != "approved"
    ):
        raise NotFound(N_("No such manual colour"))
    appeal.override_id, appeal.department = override.id, ""
    appeal.organisation_id, appeal.region_code = override.organisation_id, override.region_code
    appeal.open_key = f"{OVERRIDE}:{override.id}"
    return appeal


def _against_finding(uow: UnitOfWork, appeal: t.Appeal, credit_record_id: uuid.UUID) -> t.Appeal:
    """A fraud finding in force is decided where its case was: the organisation (else
    region) the case was opened for, by officers who review fraud."""
    credit = uow.appeals.credit_record(credit_record_id)
    case = uow.fraud_cases.by_id(credit.case_id) if credit and credit.case_id else None
    if credit is None or credit.resident_id != appeal.resident_id or credit.revoked_at:
        raise NotFound(N_("No such record"))
    appeal.credit_record_id, appeal.department = credit.id, ""
    if case is not None:
        appeal.organisation_id, appeal.region_code = case.organisation_id, case.region_code
    appeal.open_key = f"{CREDIT}:{credit.id}"
    return appeal


def _override(uow: UnitOfWork, override_id: uuid.UUID) -> Disputable:
    row = uow.overrides.by_id(override_id)
    assert row is not None
    source = decider_name(uow, row.organisation_id, row.region_code)
    return Disputable(
        OVERRIDE, row.id, OVERRIDE, source, None, None, True, _open(uow, OVERRIDE, row.id)
    )


def _credit(uow: UnitOfWork, credit_id: uuid.UUID) -> Disputable:
    row = uow.appeals.credit_record(credit_id)
    assert row is not None
    return disputable_credit(uow, row, _open(uow, CREDIT, row.id))


def _open(uow: UnitOfWork, subject: str, subject_id: uuid.UUID) -> uuid.UUID | None:
    found = uow.appeals.open_for(f"{subject}:{subject_id}")
    return found.id if found is not None else None


def _reason(reason: str) -> str:
    return written_reason(reason, field="reason", least=MIN_REASON, most=MAX_REASON)
