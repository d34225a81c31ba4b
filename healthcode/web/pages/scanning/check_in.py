"""Venue self check-in (场所码): ``/v/{code}`` is the link in a venue's printed QR.

A phone's own camera opens it (or our 扫一扫 page does); the resident signs in if
needed, picks the code to check in with (one button per code they hold) and is told
at once: green, "welcome, entry recorded" with the venue and the time; any other
colour, not to enter and what to do next (the policy's words). The rules are in
``services/scanning/check_ins.py``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from healthcode.domain.colour import Colour
from healthcode.domain.errors import DomainError
from healthcode.http.deps import EnvDep, UowDep
from healthcode.http.errors import in_words
from healthcode.http.security import ResidentDep
from healthcode.http.views import code_view
from healthcode.services.codes import health_codes as codes
from healthcode.services.scanning import check_ins
from healthcode.web.deps import known_policy
from healthcode.web.labels import ICONS
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}


def _choices(uow: UowDep, env: EnvDep, principal: ResidentDep) -> list[tuple[str, str, str]]:
    """(policy id, title, colour label) of each code the resident holds."""
    held = []
    for policy in env.policies.values():
        if principal.resident_id is None:
            break
        state = codes.read_code_state(
            uow, env, resident_id=principal.resident_id, policy_id=policy.id
        )
        if state.colour is not Colour.NONE:
            view = code_view(policy, state)
            held.append((policy.id, view.title, view.colour_label))
    return held


@router.get("/v/{code}")
def venue_page(
    request: Request, code: str, principal: ResidentDep, uow: UowDep, env: EnvDep
) -> Response:
    venue = check_ins.find_venue(uow, code=code)
    return render(
        request,
        "scanning/check_in.html",
        headers=NO_STORE,
        venue=venue,
        choices=_choices(uow, env, principal),
        problem=None,
    )


@router.post("/v/{code}")
def check_in(
    request: Request,
    code: str,
    policy: Annotated[str, Form(max_length=64)],
    principal: ResidentDep,
    uow: UowDep,
    env: EnvDep,
) -> Response:
    chosen = known_policy(env, policy)
    try:
        done = check_ins.check_in(
            uow, env, resident_id=principal.resident_id, code=code, policy_id=chosen.id
        )
    except DomainError as error:
        uow.refused(error)
        venue = check_ins.find_venue(uow, code=code)
        return render(
            request,
            "scanning/check_in.html",
            status=error.status,
            headers=NO_STORE,
            venue=venue,
            choices=_choices(uow, env, principal),
            problem=in_words(error),
        )
    return render(
        request,
        "scanning/checked_in.html",
        headers=NO_STORE,
        done=done,
        code=code_view(done.policy, done.state),
        icon=ICONS[done.state.colour],
    )
