"""The notification centre: anyone signed in (resident or staff) reads their own
notifications, newest first, opens what each is about and marks them read; plain
forms, so it works without JavaScript."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.http.deps import EnvDep, UowDep
from healthcode.http.security import PrincipalDep
from healthcode.services.notices import centre
from healthcode.web.deps import FormDep
from healthcode.web.templating import render
from healthcode.web.views import notices

router = APIRouter(include_in_schema=False)
MAX_PAGE = 200


@router.get("/notifications")
def notifications_page(
    request: Request,
    principal: PrincipalDep,
    uow: UowDep,
    env: EnvDep,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    inbox = centre.list_notifications(
        uow, principal, limit=centre.PAGE, offset=(page - 1) * centre.PAGE
    )
    return render(
        request,
        "notices/centre.html",
        headers={"Cache-Control": "no-store"},
        items=notices(inbox.items, env.policies),
        unread=inbox.unread,
        page=page,
        more=page * centre.PAGE < inbox.total and page < MAX_PAGE,
    )


@router.post("/notifications/read")
def mark_read(principal: PrincipalDep, uow: UowDep, env: EnvDep, form: FormDep) -> Response:
    """One notification (``id``) or, without one, all of them."""
    chosen = form.get("id")
    ids = None
    if isinstance(chosen, str) and chosen:
        try:
            ids = [uuid.UUID(chosen)]
        except ValueError:
            raise InvalidInput.single("id", "invalid", N_("No such notification")) from None
    centre.mark_read(uow, env, principal, ids=ids)
    target = f"/notifications#n-{ids[0]}" if ids else "/notifications"
    return RedirectResponse(target, status_code=303)
