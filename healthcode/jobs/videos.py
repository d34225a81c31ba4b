"""Temperature videos: deleted with their application's retention, and blobs that no
row refers to swept (docs/temperature-video.md).

Both steps are idempotent (a video already gone is simply not found again) and run
under the ``videos`` lease, so one process does them at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import structlog

from healthcode.jobs.lease import if_leader
from healthcode.services.residents import videos
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWorkFactory

log = structlog.get_logger()
JOB = "videos"


@dataclass(frozen=True)
class VideosResult:
    expired: int
    swept: int


def expire_videos(units: UnitOfWorkFactory, env: Env) -> int:
    """Delete every video past its retention (rows, then their blobs after commit)."""
    expired, after, first = 0, None, True
    while first or after is not None:
        first = False
        with units() as uow:
            deleted, after = videos.expire_videos(uow, env, after=after)
        expired += deleted
    return expired


def sweep_orphans(units: UnitOfWorkFactory, env: Env) -> int:
    with units() as uow:
        return videos.sweep_orphans(uow, env)


def run(units: UnitOfWorkFactory, env: Env) -> VideosResult:
    result = VideosResult(expire_videos(units, env), sweep_orphans(units, env))
    log.info("job.videos", expired=result.expired, swept=result.swept)
    return result


def run_if_leader(
    units: UnitOfWorkFactory, env: Env, *, lease: timedelta = timedelta(minutes=10)
) -> VideosResult | None:
    return if_leader(units, JOB, lambda: run(units, env), lease=lease)
