"""The start page: my codes with their colours and what I can do with each."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from healthcode.domain.colour import Colour
from healthcode.domain.policy import Model, Policy
from healthcode.http.deps import EnvDep, UowDep
from healthcode.http.views import CodeView, code_view
from healthcode.services.codes import health_codes as codes
from healthcode.services.notices import centre
from healthcode.services.residents.dependants import (
    RELATIONSHIPS,
    DependantSummary,
    list_dependants,
)
from healthcode.web.deps import MaybeResidentDep
from healthcode.web.labels import ICONS
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Card:
    policy: Policy
    is_pass: bool
    code: CodeView | None  # None: not applied for yet


@dataclass(frozen=True)
class Member:
    """A family member whose codes the account holds (代领), with their own codes."""

    summary: DependantSummary
    relationship: str
    codes: list[tuple[Policy, CodeView]]


def _family(uow: UowDep, env: EnvDep, account_id: uuid.UUID) -> list[Member]:
    members = []
    for found in list_dependants(uow, account_id=account_id):
        shown = []
        for policy in env.policies.values():
            state = codes.read_code_state(
                uow, env, resident_id=found.resident_id, policy_id=policy.id
            )
            if state.colour is not Colour.NONE:
                shown.append((policy, code_view(policy, state)))
        members.append(Member(found, RELATIONSHIPS[found.relationship], shown))
    return members


@router.get("/")
def home(request: Request, resident: MaybeResidentDep, uow: UowDep, env: EnvDep) -> Response:
    if resident is None:
        return RedirectResponse("/login", status_code=303)
    cards = []
    may_ring = False  # an issuer calls only about an application awaiting signature
    for policy in env.policies.values():
        view = None
        if resident.resident_id is not None:
            state = codes.read_code_state(
                uow, env, resident_id=resident.resident_id, policy_id=policy.id
            )
            view = code_view(policy, state) if state.colour is not Colour.NONE else None
            may_ring = may_ring or state.awaiting_signature is not None
        cards.append(Card(policy, policy.model is Model.PASS, view))
    unread = centre.count_unread(uow, resident)
    return render(
        request,
        "residents/home.html",
        headers={"Cache-Control": "no-store"},
        cards=cards,
        unread=unread,
        may_ring=may_ring,
        family=_family(uow, env, resident.account_id),
        policies=list(env.policies.values()),
        max_family=env.settings.max_dependants,
        icons={colour.value: icon for colour, icon in ICONS.items()},
    )
