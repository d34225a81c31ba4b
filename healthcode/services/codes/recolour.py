"""Recompute a code and keep its cache, history and notifications in step.

Every write that can change a colour ends here (a declaration, a daily report, a
signature, a department record, a fraud finding, the passing of time), so the
stored colour is always the engine's answer and each change is recorded with the
rules that caused it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from healthcode.domain import overrides
from healthcode.domain.colour import Colour
from healthcode.domain.engine import Memo, evaluate
from healthcode.domain.facts import Facts
from healthcode.domain.policy import Model, Policy
from healthcode.domain.state import State, recheck_at
from healthcode.domain.timeline import ahead, carried, holds_until, replay
from healthcode.services.codes import colour_cache, paper_passes
from healthcode.services.notices import events
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.state_json import micros, state_from_json, state_to_json
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
    if code is None:
        state = evaluate(policy, facts, now)
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
    outcome = plan(policy, facts, cached_of(code), now, cause)
    for name, value in outcome.fields.items():
        setattr(code, name, value)
    for change in outcome.changes:
        uow.add(history_row(code.id, code.resident_id, change, actor_id, note))
        events.colour_changed(
            uow, env, resident_id=resident_id, at=change.at, params=change.params(policy.id)
        )
    for application_id in outcome.announce:
        events.application_waiting(uow, env, application_id=application_id)
    uow.flush()
    if policy.model is Model.PASS:  # only passes are printed on paper
        paper_passes.withdraw_outdated(
            uow, env, resident_id=resident_id, policy_id=policy.id, state=outcome.state
        )
    return outcome.state


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


@dataclass(frozen=True)
class Cached:
    """What a code holds before it is recoloured (a row's columns, not the row)."""

    colour: str
    # the cached state; a batch passes it as its stored JSON text, parsed only when
    # the colour changes (its rules are then the change's causes)
    state: dict[str, Any] | str | None
    policy_version: str | None
    recheck_at: datetime | None
    awaiting_id: uuid.UUID | None
    history_seq: int


def cached_of(code: t.Code) -> Cached:
    return Cached(
        code.colour,
        code.state,
        code.policy_version,
        code.recheck_at,
        code.awaiting_id,
        code.history_seq,
    )


@dataclass(frozen=True)
class Logged:
    """One change of colour for the history (and the resident's notification)."""

    seq: int
    at: datetime
    from_colour: str
    to_colour: str
    rule_ids: list[str]
    policy_version: str
    cause: Cause
    missed: bool = False  # replayed from before now: no actor, no note

    def params(self, policy_id: str) -> dict[str, Any]:
        return {
            "policy": policy_id,
            "from": self.from_colour,
            "to": self.to_colour,
            "rule_ids": self.rule_ids,
            "cause": self.cause.value,
        }


@dataclass(frozen=True)
class Plan:
    """A recolour decided: the code's new columns, the changes to record, and the
    applications that entered an issuer's queue. One-by-one and batched paths both
    write exactly this, so they cannot disagree on what to write."""

    state: State
    fields: dict[str, Any]
    changes: tuple[Logged, ...]
    announce: tuple[uuid.UUID, ...]


def plan(
    policy: Policy,
    facts: Facts,
    cached: Cached,
    now: datetime,
    cause: Cause,
    *,
    memo: Memo | None = None,
    carry: bool = False,
    look_ahead: bool = True,
) -> Plan:
    """Evaluate at `now`, replaying first the changes time alone made since the code's
    `recheck_at` (when the code was evaluated under this policy version). A batch
    passes one ``memo`` for its page (``engine.Memo``) and ``carry``: the last state
    replayed is carried to `now` where it must still hold (``timeline.carried``), not
    evaluated again; the one-by-one path evaluates, and a property test
    (tests/services/codes/test_batches.py) holds the two equal. ``look_ahead``: write
    the states time alone brings next (``steps_ahead``); a batch of an import or a
    policy change writes none, so as not to double its time to the new colour, and
    the rollover evaluates those codes when they fall due."""
    steps: list[tuple[State, Cause | None]] = []
    last: State | None = None
    if cached.policy_version == policy.version:
        was = Colour(cached.colour)
        missed, last = replay(
            policy, facts, colour=was, recheck=cached.recheck_at, now=now, memo=memo
        )
        steps = [(m, None) for m in missed]
    state = carried(last, facts, now) if carry and last is not None else None
    if state is None:
        state = evaluate(policy, facts, now, memo=memo)
    steps.append((state, cause))
    colour, seq, awaiting = cached.colour, cached.history_seq, cached.awaiting_id
    rules: Sequence[str] | None = None  # the cached state's, read at the first change
    changes: list[Logged] = []
    announce: list[uuid.UUID] = []
    for step, why in steps:
        if colour != step.colour.value:
            if rules is None:
                rules = _top_rules(cached.state)
            seq += 1
            changes.append(
                Logged(
                    seq,
                    step.evaluated_at,
                    colour,
                    step.colour.value,
                    change_causes(colour, rules, step),
                    policy.version,
                    why or Cause.TIME,
                    why is None,
                )
            )
        waiting = _uuid(step.awaiting_signature)
        if waiting is not None and waiting != awaiting:
            announce.append(waiting)
        colour, awaiting = step.colour.value, waiting
        rules = step.colour_rule_ids
    fields = _fields(policy, state, seq)
    # none ahead: the rollover evaluates the code when it falls due
    fields["ahead"] = (
        steps_ahead(policy, facts, state, rules or (), awaiting, memo) if look_ahead else []
    )
    return Plan(state, fields, tuple(changes), tuple(announce))


def steps_ahead(
    policy: Policy,
    facts: Facts,
    state: State,
    rules: Sequence[str],
    awaiting: uuid.UUID | None,
    memo: Memo | None,
) -> list[dict[str, Any]]:
    """The states time alone brings after ``state`` (``timeline.ahead``), each with
    what the rollover writes when it comes (``store/batches.py:CodeBatches.advance``):
    its instant and until when it holds (as microseconds, ``t`` and ``u``), the code's
    columns, and, where the colour changes, the colour before and the rules that caused
    it (``was``, ``rules``); ``announce`` where an application enters an issuer's
    queue, which the rollover leaves to the engine's path. They stop before a state
    whose colour holds for other rules or another application (below), marked by a
    last entry ``end`` (its instant): evaluated again before then, the code would stop
    there again, so the day's top-up passes it by (``CodeBatches.running_out``)."""
    steps: list[dict[str, Any]] = []
    colour = state.colour.value
    for step in ahead(policy, facts, state, memo=memo):
        waiting = _uuid(step.awaiting_signature)
        if step.colour.value == colour and (
            tuple(step.colour_rule_ids) != tuple(rules) or waiting != awaiting
        ):
            # the same colour for other rules (or another application): what a later
            # change records would depend on whether the code was looked at here (the
            # history takes the rules and the queue of the last change, or of the state
            # the code holds: ``plan``), which no step can know
            steps.append({"end": micros(step.evaluated_at)})
            break
        due = recheck_at(step)
        written: dict[str, Any] = {
            "t": micros(step.evaluated_at),
            "u": micros(holds_until(step, facts)),
            "at": step.evaluated_at.isoformat(),
            "was": colour,
            "colour": step.colour.value,
            "state": state_to_json(step),
            "recheck": due.isoformat() if due else None,
            "valid_until": step.valid_until.isoformat() if step.valid_until else None,
            "application_id": step.application_id,
            "awaiting_id": step.awaiting_signature,
            "suggested": step.suggested.value if step.suggested else None,
        }
        if colour != step.colour.value:
            written["rules"] = change_causes(colour, rules, step)
        if waiting is not None and waiting != awaiting:
            written["announce"] = True
        steps.append(written)
        colour, awaiting = step.colour.value, waiting
        rules = step.colour_rule_ids
    return steps


def _fields(policy: Policy, state: State, seq: int) -> dict[str, Any]:
    """The code's columns that cache `state`."""
    return {
        "policy_version": policy.version,
        "colour": state.colour.value,
        "state": state_to_json(state),
        "evaluated_at": state.evaluated_at,
        "recheck_at": recheck_at(state),
        "valid_until": state.valid_until,
        "application_id": _uuid(state.application_id),
        "awaiting_id": _uuid(state.awaiting_signature),
        "suggested": state.suggested.value if state.suggested else None,
        "history_seq": seq,
    }


def history_row(
    code_id: uuid.UUID,
    resident_id: uuid.UUID,
    change: Logged,
    actor_id: uuid.UUID | None,
    note: str,
) -> t.ColourChange:
    return t.ColourChange(**history_values(code_id, resident_id, change, actor_id, note))


def history_values(
    code_id: uuid.UUID,
    resident_id: uuid.UUID,
    change: Logged,
    actor_id: uuid.UUID | None,
    note: str,
) -> dict[str, Any]:
    """A history row's columns (a batch inserts many at once); the resident's id is
    the distribution key (docs/deployment.md)."""
    return {
        "id": uuid.uuid4(),
        "code_id": code_id,
        "resident_id": resident_id,
        "seq": change.seq,
        "at": change.at,
        "from_colour": change.from_colour,
        "to_colour": change.to_colour,
        "rule_ids": change.rule_ids,
        "policy_version": change.policy_version,
        "cause": change.cause.value,
        "actor_id": None if change.missed else actor_id,
        "note": "" if change.missed else note,
    }


def _uuid(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


def _top_rules(cached: dict[str, Any] | str | None) -> Sequence[str]:
    """The rules behind a cached state's colour."""
    if not cached:
        return []
    state = json.loads(cached) if isinstance(cached, str) else cached
    return [r["rule_id"] for r in state["reasons"] if r["colour"] == state["colour"]]


def change_causes(previous: str, previous_rules: Sequence[str], state: State) -> list[str]:
    """The rules that caused a change: those of the new colour when it got worse,
    those that stopped applying when it got better (e.g. after 14 normal days);
    a manual override's own id when it painted the colour."""
    if state.reasons and state.reasons[0].rule_id == overrides.RULE_ID:
        return [overrides.RULE_ID]
    if state.colour.severity > Colour(previous).severity:
        return list(state.colour_rule_ids)
    active = set(state.rule_ids)
    return [rule for rule in previous_rules if rule not in active]


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
