"""The colour changes time alone made before a code was looked at again.

A stored colour is re-evaluated when someone next touches it (a read, the rollover a
few minutes past midnight, a later write), which can be well after the rule changed
it. History must carry the instant the rule says (a pass lapsing at midnight, the
midnight after a missed report), so the instants between are replayed here.
"""

from __future__ import annotations

from datetime import datetime

from healthcode.domain.colour import Colour
from healthcode.domain.engine import Memo, evaluate
from healthcode.domain.facts import Facts
from healthcode.domain.policy import Policy
from healthcode.domain.state import State, recheck_at


def time_changes(
    policy: Policy,
    facts: Facts,
    *,
    colour: Colour,
    recheck: datetime | None,
    now: datetime,
    memo: Memo | None = None,
) -> list[State]:
    """Each state whose colour differs from the one before, at the instant it took
    effect, from a cached state (`colour`, due again at `recheck`) up to before `now`.

    Every step is evaluated with only the facts known at its instant, so a fact
    arriving at `now` is never credited to an earlier instant.
    """
    changes: list[State] = []
    at = recheck
    while at is not None and at < now:
        state = evaluate(policy, facts, at, memo=memo)
        if state.colour is not colour:
            changes.append(state)
            colour = state.colour
        at = recheck_at(state)
    return changes
