"""The colour changes time alone made before a code was looked at again.

A stored colour is re-evaluated when someone next touches it (a read, the rollover a
few minutes past midnight, a later write), which can be well after the rule changed
it. History must carry the instant the rule says (a pass lapsing at midnight, the
midnight after a missed report), so the instants between are replayed here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from healthcode.domain.clock import day_of, start_of
from healthcode.domain.colour import Colour
from healthcode.domain.engine import Memo, evaluate
from healthcode.domain.facts import Facts
from healthcode.domain.policy import Policy
from healthcode.domain.state import State, recheck_at


def replay(
    policy: Policy,
    facts: Facts,
    *,
    colour: Colour,
    recheck: datetime | None,
    now: datetime,
    memo: Memo | None = None,
) -> tuple[list[State], State | None]:
    """Each state whose colour differs from the one before, at the instant it took
    effect, from a cached state (`colour`, due again at `recheck`) up to before `now`;
    and the last state evaluated on the way (None: none was).

    Every step is evaluated with only the facts known at its instant, so a fact
    arriving at `now` is never credited to an earlier instant.
    """
    changes: list[State] = []
    state: State | None = None
    at = recheck
    while at is not None and at < now:
        state = evaluate(policy, facts, at, memo=memo)
        if state.colour is not colour:
            changes.append(state)
            colour = state.colour
        at = recheck_at(state)
    return changes, state


def carried(state: State, facts: Facts, now: datetime) -> State | None:
    """What evaluating at ``now`` gives, without evaluating: ``state`` as of ``now``,
    when nothing can have changed it since its instant. Its colour holds until its
    recheck (``recheck_at``: the first instant it could change with no new facts) but
    the evidence behind it is counted in days (the last 14), so this is when ``now``
    comes before that recheck on the same day and nothing was learnt or withdrawn in
    between; None otherwise. The rollover evaluated each code twice (at its recheck,
    replaying, then at now, minutes later) before this."""
    if day_of(state.evaluated_at) != day_of(now):
        return None
    due = recheck_at(state)
    if due is not None and due <= now:
        return None
    if facts.known_at(state.evaluated_at) != facts.known_at(now):
        return None
    return replace(state, evaluated_at=now)


AHEAD = 3  # states a code keeps of what time alone will bring


def ahead(
    policy: Policy, facts: Facts, state: State, *, memo: Memo | None = None, steps: int = AHEAD
) -> list[State]:
    """The states time alone brings after ``state``, each evaluated at the recheck of
    the one before (as ``replay`` will evaluate them when their instants have passed),
    up to ``steps`` of them. Evaluated once, when the facts are read anyway, they let
    the rollover advance a code without reading its facts or running the engine
    (docs/batches.md, "States ahead")."""
    found: list[State] = []
    at = recheck_at(state)
    while at is not None and len(found) < steps:
        state = evaluate(policy, facts, at, memo=memo)
        found.append(state)
        at = recheck_at(state)
    return found


def holds_until(state: State, facts: Facts) -> datetime:
    """The instant up to which (excluded) ``state`` is what evaluating gives, by
    ``carried``'s conditions: its recheck, the next midnight, or the next instant a
    fact was learnt or withdrawn, whichever comes first."""
    end = start_of(day_of(state.evaluated_at) + timedelta(days=1))
    due = recheck_at(state)
    if due is not None:
        end = min(end, due)
    learnt = facts.moments(state.evaluated_at, end)
    return learnt[0] if learnt else end
