"""The applicant's side of a video call (视频通话): an issuer is calling, answer or
decline, then see each other until one hangs up.

The start page and the code pages ask ``/calls/incoming`` (every 4 s, slowing to
30 s while nothing rings; static/incoming-call.js) and show "the issuer is calling"
with a link here.
"""

from __future__ import annotations

import contextlib
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from healthcode.domain.i18n import N_
from healthcode.http.deps import EnvDep, UowDep
from healthcode.http.security import ResidentDep
from healthcode.i18n import translate
from healthcode.services.organisations import calls
from healthcode.services.organisations.calls import CallOver, EndReason, Party
from healthcode.web.pages.organisations.calls import hang_up, ice_servers, tell_ended
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/calls/incoming")
def incoming(who: ResidentDep, uow: UowDep, env: EnvDep) -> Response:
    """The call ringing for me now, or null (polled by the pages)."""
    call = calls.incoming_call(uow, env, who)
    body = None
    if call is not None:
        caller = call.organisation_name or translate(N_("Your community"))
        body = {
            "id": str(call.id),
            "url": f"/calls/{call.id}",
            "text": translate(
                N_("The issuer of {organisation} is calling you"), {"organisation": caller}
            ),
            "expires_at": call.expires_at.isoformat(),
        }
    return JSONResponse({"call": body}, headers={"Cache-Control": "no-store"})


@router.get("/calls/{call_id}")
def call_page(
    request: Request, call_id: uuid.UUID, who: ResidentDep, uow: UowDep, env: EnvDep
) -> Response:
    call, _party = calls.open_call(uow, env, who, call_id=call_id)
    return render(
        request,
        "residents/call.html",
        headers={"Cache-Control": "no-store"},
        call=call,
        ice=ice_servers(env),
    )


@router.post("/calls/{call_id}/decline")
def decline(
    request: Request, call_id: uuid.UUID, who: ResidentDep, uow: UowDep, env: EnvDep
) -> Response:
    # answered elsewhere, hung up or expired meanwhile: the page says which
    with contextlib.suppress(CallOver):
        calls.decline_call(uow, env, who, call_id=call_id)
        tell_ended(request, uow, call_id, Party.RESIDENT, EndReason.DECLINED)
    return RedirectResponse(f"/calls/{call_id}", status_code=303)


@router.post("/calls/{call_id}/end")
def end(
    request: Request, call_id: uuid.UUID, who: ResidentDep, uow: UowDep, env: EnvDep
) -> Response:
    hang_up(request, uow, env, who, call_id, Party.RESIDENT)
    return RedirectResponse(f"/calls/{call_id}", status_code=303)
