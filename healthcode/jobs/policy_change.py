"""A policy change across processes (``services/codes/batches.py:apply_policy`` on
each process's id range, ``jobs/processes.py``)."""

from __future__ import annotations

from functools import partial

from healthcode.jobs.processes import in_ranges
from healthcode.services.codes.batches import Recoloured, apply_policy
from healthcode.services.shared.env import Env
from healthcode.store.uow import IdRange, UnitOfWorkFactory


def policy_change(
    units: UnitOfWorkFactory, env: Env, *, policy_id: str, everyone: bool = False, workers: int = 1
) -> Recoloured:
    """``apply_policy`` with the codes shared by ``workers`` processes."""
    done = in_ranges(partial(_apply, policy_id, everyone), units, env, workers)
    return sum(done, Recoloured(0, 0))


def _apply(
    policy_id: str, everyone: bool, units: UnitOfWorkFactory, env: Env, within: IdRange
) -> Recoloured:
    return apply_policy(units, env, policy_id=policy_id, everyone=everyone, within=within)
