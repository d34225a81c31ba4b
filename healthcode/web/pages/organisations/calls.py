"""The issuer's video call with an applicant (视频通话): start it from the application,
see and hear the applicant, record the temperature read on camera, hang up.

The page works as a plain form for starting and ending a call; the call itself
needs the browser's camera and WebRTC (static/call.js), and says so if they are
missing. The reading is posted by call.js without leaving the page (the call would
end with it); without script it posts as a form and comes back here.
"""

from __future__ import annotations

import json
import math
import uuid

import anyio.from_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.http.deps import ClientDep, EnvDep, UowDep
from healthcode.http.security import PrincipalDep, require
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.organisations import calls
from healthcode.services.organisations.applications import open_application
from healthcode.services.organisations.calls import EndReason, Party
from healthcode.services.shared.env import Env
from healthcode.web.deps import FormDep
from healthcode.web.forms import clean
from healthcode.web.pages.organisations.signalling import announce_end, rooms_of
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(require(Permission.PASS_SIGN))])


def ice_servers(env: Env) -> str:
    """The STUN/TURN servers for RTCPeerConnection, as the page's JSON."""
    return json.dumps(
        [s.model_dump(exclude_defaults=True) for s in env.settings.ice_servers],
        separators=(",", ":"),
    )


def tell_ended(
    request: Request, uow: UowDep, call_id: uuid.UUID, by: Party, reason: EndReason
) -> None:
    """Once the end is saved, the pages in the call hear of it (a form hung up)."""
    app = request.app
    uow.after_commit(lambda: anyio.from_thread.run(announce_end, app, call_id, by, reason))


def hang_up(
    request: Request, uow: UowDep, env: Env, who: Principal, call_id: uuid.UUID, party: Party
) -> calls.CallView:
    """Hang up by a form, without script (call.js hangs up over the signalling socket)."""
    view = calls.end_call(uow, env, who, call_id=call_id)
    tell_ended(request, uow, call_id, party, view.end_reason or EndReason.HANG_UP)
    return view


@router.get("/staff/applications/{application_id}/call")
def call_page(
    request: Request,
    application_id: uuid.UUID,
    who: PrincipalDep,
    uow: UowDep,
    env: EnvDep,
    client: ClientDep,
) -> Response:
    detail = open_application(uow, env, who, application_id=application_id, client=client)
    history = calls.calls_of_application(uow, env, who, application_id=application_id)
    live = next((c for c in history if c.live), None)
    return render(
        request,
        "organisations/call.html",
        headers={"Cache-Control": "no-store"},
        detail=detail,
        live=live,
        mine=live is not None and live.issuer_id == who.account_id,
        history=history,
        reading=calls.reading_of_day(uow, env, who, application_id=application_id),
        ice=ice_servers(env),
    )


@router.post("/staff/applications/{application_id}/call")
def start(
    application_id: uuid.UUID, who: PrincipalDep, uow: UowDep, env: EnvDep, client: ClientDep
) -> Response:
    calls.start_call(uow, env, who, application_id=application_id, client=client)
    return RedirectResponse(f"/staff/applications/{application_id}/call", status_code=303)


@router.post("/staff/calls/{call_id}/end")
def end(
    request: Request, call_id: uuid.UUID, who: PrincipalDep, uow: UowDep, env: EnvDep
) -> Response:
    view = hang_up(request, uow, env, who, call_id, Party.ISSUER)
    return RedirectResponse(f"/staff/applications/{view.application_id}/call", status_code=303)


@router.post("/staff/calls/{call_id}/reading")
def reading(
    request: Request, call_id: uuid.UUID, who: PrincipalDep, uow: UowDep, env: EnvDep, form: FormDep
) -> Response:
    typed = form.get("temperature")
    text = clean(typed).replace(",", ".") if isinstance(typed, str) else ""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidInput.single(
            "temperature", "float_parsing", N_("Enter the temperature in ℃, e.g. 36.6")
        )
    view = calls.record_reading(uow, env, who, call_id=call_id, temperature=value)
    shown = f"{view.temperature:.1f}"
    told = {"type": "reading", "value": shown}
    rooms = rooms_of(request.app)
    # the applicant sees what was recorded, once it is saved
    uow.after_commit(lambda: anyio.from_thread.run(rooms.send, call_id, Party.RESIDENT, told))
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"temperature": shown})
    return RedirectResponse(f"/staff/applications/{view.application_id}/call", status_code=303)
