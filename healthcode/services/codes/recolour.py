"""Recompute a code and keep its cache, history and notifications in step.

Every write that can change a colour ends here (a declaration, a daily report, a
signature, a department record, a fraud finding, the passing of time), so the
stored colour is always the engine's answer and each change is recorded with the
rules that caused it.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from healthcode.domain import overrides
from healthcode.domain.colour import Colour
from healthcode.domain.engine import evaluate
from healthcode.domain.policy import Model, Policy
from healthcode.domain.state import State, recheck_at
from healthcode.domain.timeline import time_changes
from healthcode.services.codes import colour_cache, paper_passes
from healthcode.services.notices import events
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.state_json import state_from_json, state_to_json
from healthcode.store.uow import UnitOfWork


class Cause(StrEnum):
    DECLARATION = "declaration"
    DAILY_REPORT = "daily_report"
    SIGNATURE = "signature"
    DATA = "data"
    CREDIT = "credit"
    TIME = "time"
    POLICY = "policy"
    OVERRIDE = "override"  # a manual colour approved by two officers
    APPEAL = "appeal"  # an upheld appeal withdrew a record or a manual colour


def recolour(
    uow: UnitOfWork,
    env: Env,
    *,
    resident_id: uuid.UUID,
    policy: Policy,
    cause: Cause,
    actor_id: uuid.UUID | None = None,
    note: str = "",
) -> State:
    """Lock, then read and evaluate: a change made by a concurrent writer is seen,
    never overwritten with a colour computed from facts read before it committed."""
    uow.residents.lock(resident_id)
    colour_cache.forget_after_commit(uow, env, resident_id)
    code = uow.codes.of_resident(resident_id, policy.id, lock=True)
    facts = uow.facts.for_resident(resident_id, policy.id)
    now = env.clock.now()
    state = evaluate(policy, facts, now)
    if code is None:
        if state.colour is Colour.NONE:
            return state
        code = t.Code(
            id=uuid.uuid4(),
            resident_id=resident_id,
            policy_id=policy.id,
            colour=Colour.NONE.value,
            history_seq=0,
        )
        uow.add(code)
    elif code.policy_version == policy.version:
        for missed in time_changes(
            policy, facts, colour=Colour(code.colour), recheck=code.recheck_at, now=now
        ):
            _keep(uow, env, code, policy, missed, Cause.TIME, None)
    _keep(uow, env, code, policy, state, cause, actor_id, note)
    uow.flush()
    if policy.model is Model.PASS:  # only passes are printed on paper
        paper_passes.withdraw_outdated(
            uow, env, resident_id=resident_id, policy_id=policy.id, state=state
        )
    return state


def recolour_resident(
    uow: UnitOfWork,
    env: Env,
    *,
    resident_id: uuid.UUID,
    cause: Cause,
    actor_id: uuid.UUID | None = None,
    note: str = "",
) -> int:
    """Recolour every code the resident holds (new facts about the person, such as a
    department record, hold for all their codes); the number of codes that changed."""
    changed = 0
    for code in uow.codes.all_of_resident(resident_id):
        if code.policy_id not in env.policies:
            continue
        before = code.history_seq
        recolour(
            uow,
            env,
            resident_id=resident_id,
            policy=env.policies.find(code.policy_id),
            cause=cause,
            actor_id=actor_id,
            note=note,
        )
        changed += code.history_seq != before
    return changed


def _keep(
    uow: UnitOfWork,
    env: Env,
    code: t.Code,
    policy: Policy,
    state: State,
    cause: Cause,
    actor_id: uuid.UUID | None,
    note: str = "",
) -> None:
    """Cache `state` on the code and record a change of colour, at the state's instant."""
    previous, previous_awaiting = code.colour, code.awaiting_id
    previous_rules = _top_rules(code.state) if code.state else []
    code.policy_version = policy.version
    code.colour = state.colour.value
    code.state = state_to_json(state)
    code.evaluated_at = state.evaluated_at
    code.recheck_at = recheck_at(state)
    code.valid_until = state.valid_until
    code.application_id = _uuid(state.application_id)
    code.awaiting_id = _uuid(state.awaiting_signature)
    code.suggested = state.suggested.value if state.suggested else None
    if previous != state.colour.value:
        _record_change(
            uow,
            env,
            code,
            previous,
            _causes(previous, previous_rules, state),
            state,
            cause,
            actor_id,
            note,
        )
    if code.awaiting_id is not None and code.awaiting_id != previous_awaiting:
        events.application_waiting(uow, env, application_id=code.awaiting_id)


def _uuid(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


def _top_rules(cached: dict[str, Any]) -> list[str]:
    """The rules behind a cached state's colour."""
    return [r["rule_id"] for r in cached["reasons"] if r["colour"] == cached["colour"]]


def _causes(previous: str, previous_rules: list[str], state: State) -> list[str]:
    """The rules that caused a change: those of the new colour when it got worse,
    those that stopped applying when it got better (e.g. after 14 normal days);
    a manual override's own id when it painted the colour."""
    if state.reasons and state.reasons[0].rule_id == overrides.RULE_ID:
        return [overrides.RULE_ID]
    if state.colour.severity > Colour(previous).severity:
        return [r.rule_id for r in state.reasons if r.colour is state.colour]
    active = set(state.rule_ids)
    return [rule for rule in previous_rules if rule not in active]


def _record_change(
    uow: UnitOfWork,
    env: Env,
    code: t.Code,
    previous: str,
    rule_ids: list[str],
    state: State,
    cause: Cause,
    actor_id: uuid.UUID | None,
    note: str,
) -> None:
    code.history_seq += 1
    uow.add(
        t.ColourChange(
            code_id=code.id,
            seq=code.history_seq,
            at=state.evaluated_at,
            from_colour=previous,
            to_colour=state.colour.value,
            rule_ids=rule_ids,
            policy_version=code.policy_version,
            cause=cause.value,
            actor_id=actor_id,
            note=note,
        )
    )
    events.colour_changed(
        uow,
        env,
        resident_id=code.resident_id,
        at=state.evaluated_at,
        params={
            "policy": code.policy_id,
            "from": previous,
            "to": state.colour.value,
            "rule_ids": rule_ids,
            "cause": cause.value,
        },
    )


def current_state(uow: UnitOfWork, env: Env, *, resident_id: uuid.UUID, policy: Policy) -> State:
    """The cached state while it is still good, else a fresh evaluation."""
    code = uow.codes.of_resident(resident_id, policy.id)
    if code is None:
        return evaluate(policy, uow.facts.for_resident(resident_id, policy.id), env.clock.now())
    return cached_state(uow, env, code=code, policy=policy)


def cached_state(uow: UnitOfWork, env: Env, *, code: t.Code, policy: Policy) -> State:
    """A loaded code's state: its cache while still good, else a fresh evaluation
    (for callers that load many codes at once)."""
    fresh = code.policy_version == policy.version and (
        code.recheck_at is None or env.clock.now() < code.recheck_at
    )
    if fresh:
        return state_from_json(code.state)
    return recolour(uow, env, resident_id=code.resident_id, policy=policy, cause=Cause.TIME)
