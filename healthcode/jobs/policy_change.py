"""A policy change across processes (``services/codes/batches.py:apply_policy`` on
each process's id range, ``jobs/processes.py``)."""

from __future__ import annotations

from functools import partial

from healthcode.config import Settings
from healthcode.domain.clock import Clock
from healthcode.jobs.processes import in_ranges, units_of
from healthcode.services.codes.batches import Recoloured, apply_policy
from healthcode.services.shared.env import Env, make_env
from healthcode.store.uow import IdRange, UnitOfWorkFactory


def policy_change(
    units: UnitOfWorkFactory, env: Env, *, policy_id: str, everyone: bool = False, workers: int = 1
) -> Recoloured:
    """``apply_policy`` with the codes shared by ``workers`` processes."""
    done = in_ranges(
        partial(_apply, units, env, policy_id, everyone),
        partial(_apply_elsewhere, env.settings, env.clock, policy_id, everyone),
        workers,
    )
    return sum(done, Recoloured(0, 0))


def _apply(
    units: UnitOfWorkFactory, env: Env, policy_id: str, everyone: bool, within: IdRange
) -> Recoloured:
    return apply_policy(units, env, policy_id=policy_id, everyone=everyone, within=within)


def _apply_elsewhere(
    settings: Settings, clock: Clock, policy_id: str, everyone: bool, within: IdRange
) -> Recoloured:
    return _apply(units_of(settings), make_env(settings, clock), policy_id, everyone, within)
