"""Recompute a code and keep its cache, history and notifications in step.

Every write that can change a colour ends here (a declaration, a daily report, a
signature, a department record, a fraud finding, the passing of time), so the
stored colour is always the engine's answer and each change is recorded with the
rules that caused it.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from healthcode.domain.colour import Colour
from healthcode.domain.engine import evaluate
from healthcode.domain.policy import Policy
from healthcode.domain.state import State, recheck_at
from healthcode.services.env import Env
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


def recolour(
    uow: UnitOfWork,
    env: Env,
    *,
    resident_id: uuid.UUID,
    policy: Policy,
    cause: Cause,
    actor_id: uuid.UUID | None = None,
) -> State:
    now = env.clock.now()
    state = evaluate(policy, uow.facts.for_resident(resident_id, policy.id), now)
    code = uow.codes.of_resident(resident_id, policy.id, lock=True)
    if code is None:
        if state.colour is Colour.NONE:
            return state
        code = t.Code(resident_id=resident_id, policy_id=policy.id, colour=Colour.NONE.value)
        uow.add(code)
    previous = code.colour
    code.policy_version = policy.version
    code.colour = state.colour.value
    code.state = state_to_json(state)
    code.evaluated_at = now
    code.recheck_at = recheck_at(state)
    code.valid_until = state.valid_until
    code.application_id = uuid.UUID(state.application_id) if state.application_id else None
    uow.flush()
    if previous != state.colour.value:
        _record_change(uow, code, previous, state, cause, actor_id)
    return state


def _record_change(
    uow: UnitOfWork,
    code: t.Code,
    previous: str,
    state: State,
    cause: Cause,
    actor_id: uuid.UUID | None,
) -> None:
    rule_ids = list(state.rule_ids)
    uow.add(
        t.ColourChange(
            code_id=code.id,
            at=state.evaluated_at,
            from_colour=previous,
            to_colour=state.colour.value,
            rule_ids=rule_ids,
            policy_version=code.policy_version,
            cause=cause.value,
            actor_id=actor_id,
        )
    )
    uow.add(
        t.Notification(
            resident_id=code.resident_id,
            at=state.evaluated_at,
            kind="colour_changed",
            payload={
                "policy": code.policy_id,
                "from": previous,
                "to": state.colour.value,
                "rule_ids": rule_ids,
                "cause": cause.value,
            },
        )
    )


def current_state(uow: UnitOfWork, env: Env, *, resident_id: uuid.UUID, policy: Policy) -> State:
    """The cached state while it is still good, else a fresh evaluation."""
    code = uow.codes.of_resident(resident_id, policy.id)
    if code is None:
        return evaluate(policy, uow.facts.for_resident(resident_id, policy.id), env.clock.now())
    fresh = code.policy_version == policy.version and (
        code.recheck_at is None or env.clock.now() < code.recheck_at
    )
    if fresh:
        return state_from_json(code.state)
    return recolour(uow, env, resident_id=resident_id, policy=policy, cause=Cause.TIME)
