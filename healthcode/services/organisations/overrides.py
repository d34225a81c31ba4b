"""A manual colour change needs two officers (DESIGN.md §6 "No single hand can paint a code").

Officer A proposes (resident, code type, colour, a reason of at least
``MIN_REASON`` characters, optionally an end: a pass's never after the pass's own,
``pass_end``); officer B — a different account holding ``colour.override`` within
scope, not only through a suspended organisation — approves or rejects (saying why). The approved
override is a fact: ``recolour`` paints it through the engine (``domain/overrides.py``
says how long it holds), records it in the history with its reason, and the audit
log keeps both hands. A pass's scope is the organisation its latest application
went to, as for applications; a health code's, the resident's region. An approval ends the
code's earlier manual colours (their ``ends_at``): one upheld on appeal later leaves
the rules' colour, not an older manual one, and the history before stays as it was.

Both decisions lock the resident first, as every write that recolours does, then the
proposal row: of two approvals at once, the second finds it already decided.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from healthcode.domain.colour import SIGNED_COLOURS, Colour
from healthcode.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.policy import Model, Policy, pass_valid_until
from healthcode.domain.reasons import written_reason
from healthcode.domain.scope import Scope
from healthcode.domain.state import State
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.codes.recolour import Cause, current_state, recolour
from healthcode.services.organisations.registry import OrganisationStatus, OrganisationSuspended
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

MIN_REASON = 10
PERMISSION = Permission.COLOUR_OVERRIDE


class OwnProposal(Forbidden):
    code = "own_proposal"


class AlreadyDecided(Conflict):
    code = "already_decided"


class AlreadyProposed(Conflict):
    code = "already_proposed"


class OverrideEnded(Conflict):
    code = "override_ended"


class PassLapsed(Conflict):
    code = "pass_lapsed"


OVERRIDES_PAUSED = N_(
    "Your organisation ({organisation}) is suspended: it changes no code's colour until "
    "it is reactivated"
)


@dataclass(frozen=True)
class OverrideProposal:
    id: uuid.UUID
    resident_id: uuid.UUID
    name_masked: str
    id_masked: str
    policy: Policy
    colour: Colour
    current: Colour  # what the code shows now
    reason: str
    ends_at: datetime | None
    status: str  # proposed | approved | rejected
    proposed_at: datetime
    mine: bool  # proposed by the caller, who may not decide it


def propose_override(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    resident_id: uuid.UUID,
    policy_id: str,
    colour: Colour,
    reason: str,
    ends_at: datetime | None = None,
    client: str = "",
) -> OverrideProposal:
    """Officer A: a colour for one resident's code, with a reason; nothing changes yet."""
    policy = env.policies.find(policy_id)
    if colour not in SIGNED_COLOURS:  # any code, a pass or a Binzhou code: not "signed"
        raise InvalidInput.single(
            "colour", "not_a_manual_colour", N_("A manual colour is green, yellow or red")
        )
    reason = _reason(reason)
    now = env.clock.now()
    if ends_at is not None and ends_at <= now:
        raise InvalidInput.single("ends_at", "past", N_("The end must be in the future"))
    resident, organisation_id, region = _resident(uow, who, resident_id, policy)
    state = current_state(uow, env, resident_id=resident.id, policy=policy)
    if state.colour is Colour.NONE:
        # a pass needs the person's own declaration and pledge (seed 000 §一): an
        # override changes a code they hold, it never gives them one
        raise InvalidInput.single(
            "policy",
            "no_code",
            N_("This person holds no such code: a manual colour changes a code they hold"),
        )
    ends_at = _capped(ends_at, pass_end(policy, state, now))
    row = t.ColourOverride(
        id=uuid.uuid4(),
        resident_id=resident.id,
        policy_id=policy.id,
        colour=colour.value,
        reason=reason,
        ends_at=ends_at,
        status="proposed",
        proposed_by=who.account_id,
        proposed_at=now,
        decision_note="",
        organisation_id=organisation_id,
        region_code=region,
        open_key=f"{resident.id}:{policy.id}",
    )
    if not uow.overrides.propose_once(row):  # a double click, or another officer first
        raise AlreadyProposed(
            N_("A change of this code is already proposed: decide that one first")
        )
    _audit(uow, env, who, "override.proposed", row, client)
    return _view(uow, env, who, row)


def decide_override(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    override_id: uuid.UUID,
    approve: bool,
    note: str = "",
    client: str = "",
) -> OverrideProposal:
    """Officer B approves (the colour is painted at once) or rejects the proposal with
    a note of at least ``MIN_REASON`` characters."""
    found = uow.overrides.by_id(override_id)
    if found is None:
        raise NotFound(N_("No such proposal"))
    uow.residents.lock(found.resident_id)  # the resident first, as every recolour
    row = uow.overrides.by_id(override_id, lock=True)
    assert row is not None
    _in_scope(uow, who, row)
    if row.proposed_by == who.account_id:
        raise OwnProposal(N_("A second officer must decide this: you proposed it yourself"))
    if row.status != "proposed":
        raise AlreadyDecided(N_("This proposal has already been decided"))
    # a rejection says why, as a fraud case's rejected proposal does: the proposer
    # reads it, and the audit log keeps both hands' reasons
    note = written_reason(note, field="note", least=MIN_REASON, most=500) if not approve else note
    now = env.clock.now()
    if approve and row.ends_at is not None and row.ends_at <= now:
        raise OverrideEnded(N_("The proposed change has already ended; propose it again"))
    if approve:  # the pass as it is now: lapsed meanwhile, or signed again
        policy = env.policies.find(row.policy_id)
        state = current_state(uow, env, resident_id=row.resident_id, policy=policy)
        row.ends_at = _capped(row.ends_at, pass_end(policy, state, now))
    row.status = "approved" if approve else "rejected"
    row.decided_by, row.decided_at, row.open_key = who.account_id, now, None
    row.decision_note = note.strip()[:500]
    if approve:  # it replaces the code's earlier manual colours: they end now
        for earlier in uow.overrides.approved(row.resident_id, row.policy_id):
            if earlier.id != row.id and (earlier.ends_at is None or earlier.ends_at > now):
                earlier.ends_at = now
    uow.flush()
    _audit(uow, env, who, f"override.{row.status}", row, client)
    if approve:
        recolour(
            uow,
            env,
            resident_id=row.resident_id,
            policy=env.policies.find(row.policy_id),
            cause=Cause.OVERRIDE,
            actor_id=who.account_id,
            note=row.reason,
        )
    return _view(uow, env, who, row)


def list_proposals(
    uow: UnitOfWork, env: Env, who: Principal, *, limit: int = 50
) -> Sequence[OverrideProposal]:
    """Proposals waiting for a second officer within the caller's scope, oldest first."""
    rows = uow.overrides.proposed(_active_scope(uow, who), limit=limit)
    return [_view(uow, env, who, row) for row in rows]


def show_proposal(
    uow: UnitOfWork, env: Env, who: Principal, *, override_id: uuid.UUID
) -> OverrideProposal:
    row = uow.overrides.by_id(override_id)
    if row is None:
        raise NotFound(N_("No such proposal"))
    _in_scope(uow, who, row)
    return _view(uow, env, who, row)


def _reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise InvalidInput.single(
            "reason",
            "too_short",
            N_("Give the reason in at least {n} characters"),
            n=MIN_REASON,
        )
    if len(reason) > 500:
        raise InvalidInput.single(
            "reason", "too_long", N_("Keep the reason under {n} characters"), n=500
        )
    return reason


def _resident(
    uow: UnitOfWork, who: Principal, resident_id: uuid.UUID, policy: Policy
) -> tuple[t.Resident, uuid.UUID | None, str]:
    """The resident within the caller's scope for this code, else not found: a pass
    where its application is reviewed (the organisation it went to), a health code,
    which no organisation issues, by the resident's region. Until stop 44 a health
    code was scoped as the person's latest pass application, and a company's officers
    repainted the Binzhou code of anyone who had applied to them."""
    resident = uow.residents.by_id(resident_id)
    if resident is None:
        raise NotFound(N_("No such resident"))
    organisation_id = None
    if policy.model is Model.PASS:
        organisation_id = uow.declarations.latest_organisation(resident.id, policy.id)
    organisation = uow.organisations.by_id(organisation_id) if organisation_id else None
    region = organisation.region_code if organisation is not None else resident.region_code
    _acting(uow, who, organisation_id, region, N_("No such resident"))
    return resident, organisation_id, region


def _in_scope(uow: UnitOfWork, who: Principal, row: t.ColourOverride) -> None:
    _acting(uow, who, row.organisation_id, row.region_code, N_("No such proposal"))


def _acting(
    uow: UnitOfWork,
    who: Principal,
    organisation_id: uuid.UUID | None,
    region: str,
    missing: str,
) -> None:
    """Within the caller's scope (else ``missing``), and not only through a suspended
    organisation, whose officers change no colour until it is reactivated (409 by
    name, as its queue and signatures; docs/organisations.md). A region's officer
    still acts. Until stop 43 a suspended organisation's issuer proposed and its
    administrator approved, and its pending pass turned green (an outside probe)."""
    scope = who.scope(PERMISSION)
    if not scope.covers(organisation_id=organisation_id, region_code=region):
        raise NotFound(missing)
    if organisation_id is None or scope.covers_region(region):
        return
    organisation = uow.organisations.by_id(organisation_id)
    if organisation is not None and organisation.status == OrganisationStatus.SUSPENDED:
        raise OrganisationSuspended(OVERRIDES_PAUSED, organisation=organisation.name)


def _active_scope(uow: UnitOfWork, who: Principal) -> Scope:
    """The caller's scope without its suspended organisations: what lists proposals."""
    scope = who.scope(PERMISSION)
    if not scope.organisations:
        return scope
    paused = {
        o.id
        for o in uow.organisations.among(scope.organisations)
        if o.status == OrganisationStatus.SUSPENDED
    }
    return replace(scope, organisations=scope.organisations - paused)


def pass_end(policy: Policy, state: State, now: datetime) -> datetime | None:
    """The latest end a manual colour of this code may have: none for a health code; a
    pass's own end (``valid_until``) once signed, and for an application still waiting
    the end a signature now would give (seed 000 §四.一: valid 5 days). A lapsed pass is
    refused: the person applies again. Until stop 43 only a missing end was set (to 5
    days), and a stated one (2099) kept an unsigned application green for years."""
    if policy.model is not Model.PASS:
        return None
    if state.valid_until is None:  # not signed yet (a signed pass has its end)
        return pass_valid_until(policy, now)
    if state.valid_until <= now:
        raise PassLapsed(
            N_(
                "This pass has ended: the person applies again; a manual colour changes "
                "a pass that is still valid"
            )
        )
    return state.valid_until


def _capped(ends_at: datetime | None, cap: datetime | None) -> datetime | None:
    if cap is None:
        return ends_at
    return cap if ends_at is None else min(ends_at, cap)


def _view(uow: UnitOfWork, env: Env, who: Principal, row: t.ColourOverride) -> OverrideProposal:
    resident = uow.residents.by_id(row.resident_id)
    assert resident is not None
    policy = env.policies.find(row.policy_id)
    return OverrideProposal(
        id=row.id,
        resident_id=resident.id,
        name_masked=resident.name_masked,
        id_masked=resident.id_masked,
        policy=policy,
        colour=Colour(row.colour),
        current=current_state(uow, env, resident_id=resident.id, policy=policy).colour,
        reason=row.reason,
        ends_at=row.ends_at,
        status=row.status,
        proposed_at=row.proposed_at,
        mine=row.proposed_by == who.account_id,
    )


def _audit(
    uow: UnitOfWork, env: Env, who: Principal, action: str, row: t.ColourOverride, client: str
) -> None:
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action=action,
        resident_id=row.resident_id,
        detail={
            "override": str(row.id),
            "policy": row.policy_id,
            "colour": row.colour,
            "proposed_by": str(row.proposed_by),
            "reason": row.reason,
        },
        client=client,
    )
