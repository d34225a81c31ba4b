"""A file upload handed to its service, the same from the API and the pages."""

from __future__ import annotations

import uuid

from fastapi import UploadFile

from healthcode.services.residents import videos
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork


def attach_video(
    uow: UnitOfWork,
    env: Env,
    *,
    account_id: uuid.UUID,
    declaration_id: uuid.UUID,
    file: UploadFile | None,
) -> videos.VideoSummary:
    """The temperature video of one's own application; no file chosen is a field error."""
    if file is None or not file.filename:
        videos.refuse_missing()
    return videos.attach_video(
        uow,
        env,
        account_id=account_id,
        declaration_id=declaration_id,
        upload=file.file,
        declared_type=file.content_type or "",
    )
