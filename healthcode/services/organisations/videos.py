"""The issuers' side of the temperature video: watched only through ``reviewable``,
so an issuer outside the application's scope finds nothing (404), and every fetch is
audit-logged (a player may fetch one video in a few ranges: each is recorded)."""

from __future__ import annotations

import uuid

from healthcode.domain.errors import NotFound
from healthcode.domain.i18n import N_
from healthcode.services.accounts.permissions import Principal
from healthcode.services.organisations.applications import reviewable
from healthcode.services.residents.videos import VideoBlob, VideoSummary, blob_of
from healthcode.services.residents.videos import summary as _summary
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork


def review_video(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    application_id: uuid.UUID,
    byte_range: str = "",
    client: str = "",
) -> VideoBlob:
    """The video of an application the caller reviews, else not found."""
    declaration, resident, _ = reviewable(uow, env, who, application_id)
    video = uow.videos.of_declaration(declaration.id)
    if video is None:
        raise NotFound(N_("No video"))
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action="application.video_viewed",
        resident_id=resident.id,
        detail={"application": str(application_id), "range": byte_range[:64]},
        client=client,
    )
    return blob_of(env, video)


def summary(
    uow: UnitOfWork, env: Env, who: Principal, application_id: uuid.UUID
) -> VideoSummary | None:
    """Whether an application the caller reviews has a video (the review page's
    question); out of scope is not found."""
    reviewable(uow, env, who, application_id)
    return _summary(uow, application_id)
