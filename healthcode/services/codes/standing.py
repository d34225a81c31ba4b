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
from healthcode.services.codes.recolour import current_state
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork


@dataclass(frozen=True)
class Standing:
    colour: Colour
    policy: Policy | None  # the policy of the code that gave the colour
    since: datetime | None  # when the code took this colour (its history)
    green_at: datetime | None  # when it turns green if nothing new is learnt


NO_CODE = Standing(Colour.NONE, None, None, None)


def standings_of(
    uow: UnitOfWork, env: Env, *, resident_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Standing]:
    """Each resident's standing under the policies in force: the most severe colour of
    their codes. A cached state is used while it is good (``current_state``)."""
    return {rid: _standing(uow, env, rid) for rid in set(resident_ids)}


def _standing(uow: UnitOfWork, env: Env, resident_id: uuid.UUID) -> Standing:
    best = NO_CODE
    for code in uow.codes.all_of_resident(resident_id):
        policy = env.policies.get(code.policy_id)
        if policy is None:
            continue
        state = current_state(uow, env, resident_id=resident_id, policy=policy)
        if state.colour.severity <= best.colour.severity:
            continue
        change = state.next_change
        green_at = change.at if change is not None and change.colour is Colour.GREEN else None
        best = Standing(state.colour, policy, _since(uow, code.id, state.colour), green_at)
    return best


def _since(uow: UnitOfWork, code_id: uuid.UUID, colour: Colour) -> datetime | None:
    """The start of the code's present colour: the latest change into it from another
    (the history comes newest first)."""
    for change in uow.codes.history(code_id):
        if change.to_colour != colour.value:
            return None
        if change.from_colour != colour.value:
            return change.at
    return None
