"""The optional temperature video of a pass application (测量体温小视频, 选填).

A plain form with a file input that opens the phone's camera (``capture``), so it
works on a cheap phone without any script; the video plays from the API, which
takes the session cookie for reads.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from healthcode.domain.errors import DomainError, InvalidInput
from healthcode.http import uploads
from healthcode.http.deps import EnvDep, UowDep
from healthcode.http.errors import in_words
from healthcode.http.security import ResidentDep
from healthcode.i18n import translate
from healthcode.services.residents import videos
from healthcode.services.shared.env import Env
from healthcode.web.forms import FormState
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    uow: UowDep,
    env: Env,
    principal: ResidentDep,
    declaration_id: uuid.UUID,
    *,
    form: FormState | None = None,
    status: int = 200,
) -> Response:
    own = videos.own_summary(
        uow, env, account_id=principal.account_id, declaration_id=declaration_id
    )
    return render(
        request,
        "residents/video.html",
        status=status,
        headers={"Cache-Control": "no-store"},
        own=own,
        form=form or FormState(),
        sent=request.query_params.get("sent") == "1",
        deleted=request.query_params.get("deleted") == "1",
        max_mb=videos.megabytes(env.settings.video_max_bytes),
        max_bytes=env.settings.video_max_bytes,
        max_seconds=round(env.settings.video_max_seconds),
        accept=",".join(env.settings.video_types),
    )


@router.get("/declarations/{declaration_id}/video")
def video_page(
    request: Request, declaration_id: uuid.UUID, principal: ResidentDep, uow: UowDep, env: EnvDep
) -> Response:
    return _page(request, uow, env, principal, declaration_id)


@router.post("/declarations/{declaration_id}/video")
def upload(
    request: Request,
    declaration_id: uuid.UUID,
    principal: ResidentDep,
    uow: UowDep,
    env: EnvDep,
    video: Annotated[UploadFile | None, File()] = None,
) -> Response:
    try:
        uploads.attach_video(
            uow, env, account_id=principal.account_id, declaration_id=declaration_id, file=video
        )
    except DomainError as error:
        uow.refused(error)
        form = FormState()
        if isinstance(error, InvalidInput):  # each refusal beside the file field
            for field in error.errors:
                form.add_error(field.field, translate(field.message, field.params))
        else:
            form.general.append(in_words(error))
        return _page(request, uow, env, principal, declaration_id, form=form, status=error.status)
    return RedirectResponse(f"/declarations/{declaration_id}/video?sent=1", status_code=303)


@router.post("/declarations/{declaration_id}/video/delete")
def delete(declaration_id: uuid.UUID, principal: ResidentDep, uow: UowDep, env: EnvDep) -> Response:
    videos.delete_own_video(
        uow, env, account_id=principal.account_id, declaration_id=declaration_id
    )
    return RedirectResponse(f"/declarations/{declaration_id}/video?deleted=1", status_code=303)
