"""An appeal's timeline: each step is a row the resident reads, and a notification."""

from __future__ import annotations

from healthcode.domain.colour import Colour
from healthcode.services.notices import events
from healthcode.services.notices.texts import Kind
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork


def add_step(
    uow: UnitOfWork,
    env: Env,
    appeal: t.Appeal,
    step: str,
    *,
    colour: Colour | None = None,
    note: str = "",
    notify: bool = True,
) -> None:
    at = env.clock.now()
    uow.add(
        t.AppealStep(
            appeal_id=appeal.id,
            seq=len(uow.appeals.steps(appeal.id)) + 1,  # the appeal is new or locked
            at=at,
            step=step,
            colour=colour.value if colour is not None else None,
            note=note[:1000],
        )
    )
    if notify:
        events.notify(
            uow,
            env,
            kind=Kind.APPEAL_STEP,
            params={
                "policy": appeal.policy_id,
                "appeal": str(appeal.id),
                "step": step,
                "colour": colour.value if colour is not None else "",
            },
            resident_id=appeal.resident_id,
            at=at,
        )
