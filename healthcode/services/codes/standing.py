"""A resident's standing for others who must act on it (an employer's staff board):
the colour of their codes (the worst of them), since when, and when it is projected to
turn green, read from the codes and their history, never stored a second time."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from healthcode.domain.colour import Colour
from healthcode.domain.policy import Policy
from healthcode.domain.state import State
from healthcode.services.codes.recolour import cached_state
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork


@dataclass(frozen=True)
class Standing:
    colour: Colour
    policy: Policy | None  # the policy of the code that gave the colour
    since: datetime | None  # when the code took this colour (its history)
    green_at: datetime | None  # when it turns green if nothing new is learnt


NO_CODE = Standing(Colour.NONE, None, None, None)
QUARANTINED = (Colour.YELLOW, Colour.RED)


def standings_of(
    uow: UnitOfWork, env: Env, *, resident_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Standing]:
    """Each resident's standing under the policies in force: the most severe colour of
    their codes, each code's cached state used while it is good (``cached_state``).
    The codes come in one query; the history is read only for a yellow or red code."""
    best: dict[uuid.UUID, tuple[State, Policy, t.Code]] = {}
    for code in uow.codes.of_residents(sorted(set(resident_ids))):
        policy = env.policies.get(code.policy_id)
        if policy is None:
            continue
        state = cached_state(uow, env, code=code, policy=policy)
        held = best.get(code.resident_id)
        if held is None or state.colour.severity > held[0].colour.severity:
            best[code.resident_id] = (state, policy, code)
    return {rid: _standing(uow, *found) for rid, found in best.items()}


def _standing(uow: UnitOfWork, state: State, policy: Policy, code: t.Code) -> Standing:
    change = state.next_change
    green_at = change.at if change is not None and change.colour is Colour.GREEN else None
    since = _since(uow, code.id, state.colour) if state.colour in QUARANTINED else None
    return Standing(state.colour, policy, since, green_at)


def _since(uow: UnitOfWork, code_id: uuid.UUID, colour: Colour) -> datetime | None:
    """The start of the code's present colour: the latest change into it from another
    (the history comes newest first)."""
    for change in uow.codes.history(code_id):
        if change.to_colour != colour.value:
            return None
        if change.from_colour != colour.value:
            return change.at
    return None
