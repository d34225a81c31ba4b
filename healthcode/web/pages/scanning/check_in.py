"""Venue self check-in (场所码): ``/v/{code}`` is the link in a venue's printed QR.

A phone's own camera opens it (or our 扫一扫 page does); the resident signs in if
needed, picks the code to check in with (one button per code they hold, and per code
of each family member they hold codes for: a child or a parent without a phone enters
too, and tracing must find them) and is told
at once: green, "welcome, entry recorded" with the venue and the time; any other
colour, not to enter and what to do next (the policy's words). The rules are in
``services/scanning/check_ins.py``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from healthcode.domain.colour import Colour
from healthcode.domain.errors import DomainError, NotFound
from healthcode.domain.i18n import N_
from healthcode.http.deps import EnvDep, UowDep
from healthcode.http.errors import in_words
from healthcode.http.security import ResidentDep
from healthcode.http.views import code_view
from healthcode.services.codes import health_codes as codes
from healthcode.services.residents.dependants import dependant_of, list_dependants
from healthcode.services.scanning import check_ins
from healthcode.web.deps import known_policy
from healthcode.web.forms import form_id
from healthcode.web.labels import ICONS
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class _Choice:
    """A code to check in with: the resident's own (``member`` None) or a family
    member's (their resident id and masked name)."""

    policy_id: str
    title: str
    colour_label: str
    member: uuid.UUID | None = None
    member_name: str = ""


def _choices(uow: UowDep, env: EnvDep, principal: ResidentDep) -> list[_Choice]:
    """Each code the resident holds, then each code of each of their family members."""
    people: list[tuple[uuid.UUID, uuid.UUID | None, str]] = []
    if principal.resident_id is not None:
        people.append((principal.resident_id, None, ""))
    for dependant in list_dependants(uow, account_id=principal.account_id):
        people.append((dependant.resident_id, dependant.resident_id, dependant.name_masked))
    held = []
    for resident_id, member, name in people:
        for policy in env.policies.values():
            state = codes.read_code_state(uow, env, resident_id=resident_id, policy_id=policy.id)
            if state.colour is not Colour.NONE:
                view = code_view(policy, state)
                held.append(_Choice(policy.id, view.title, view.colour_label, member, name))
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
    member: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    chosen = known_policy(env, policy)
    member_name = ""
    member_id: uuid.UUID | None = None
    try:
        resident_id = principal.resident_id
        if member:
            found = dependant_of(uow, account_id=principal.account_id, resident_id=_id(member))
            resident_id, member_name = found.resident_id, found.name_masked
            member_id = found.resident_id
        done = check_ins.check_in(uow, env, resident_id=resident_id, code=code, policy_id=chosen.id)
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
        member_name=member_name,
        member_id=member_id,
    )


def _id(text: str) -> uuid.UUID:
    """A family member's id from the form; anything else is no such member."""
    found = form_id(text)
    if found is None:
        raise NotFound(N_("No such family member"))
    return found
