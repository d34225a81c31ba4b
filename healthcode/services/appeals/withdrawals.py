"""An open appeal whose record the department withdraws meanwhile (it rolls back the
import that sent it, ``records/batches.py``): the resident is told at once, with the
colour their code has without the record, instead of hearing nothing.

The appeal stays open: the department still decides whether the record was wrong.
Upheld, the record is withdrawn for good and a re-sent file is refused for it;
rejected, a re-sent record is in force again (``docs/appeals.md``). Run in the
recolouring after the rollback commits (``records/recolouring.py``), page by page,
after the residents' locks, the order a decision takes (resident, then appeal).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from healthcode.domain.colour import Colour
from healthcode.services.appeals.results import WITHDRAWN
from healthcode.services.appeals.steps import add_step
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork


def tell_withdrawn(uow: UnitOfWork, env: Env, *, resident_ids: Sequence[uuid.UUID]) -> int:
    """A ``withdrawn`` step (and its notification) on these residents' open appeals
    whose record is no longer in force, once per withdrawal; how many. The residents'
    locks are held. Safe to repeat (a recolouring page run again)."""
    told = 0
    for row in uow.appeals.open_on_withdrawn_records(resident_ids):
        steps = uow.appeals.steps(row.id)
        if steps and steps[-1].step == WITHDRAWN:
            continue  # already told of this withdrawal
        code = uow.codes.of_resident(row.resident_id, row.policy_id)
        add_step(uow, env, row, WITHDRAWN, colour=Colour(code.colour) if code else None)
        audit.record(
            uow,
            env,
            actor_id=None,
            action="appeal.record_withdrawn",
            resident_id=row.resident_id,
            detail={"appeal": str(row.id), "record": str(row.record_id)},
        )
        told += 1
    return told
