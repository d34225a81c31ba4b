"""The start page: my codes with their colours and what I can do with each."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from healthcode.domain.checkins import Window
from healthcode.domain.colour import Colour
from healthcode.domain.errors import DomainError, FieldError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.policy import Model, Policy
from healthcode.http.deps import EnvDep, UowDep
from healthcode.http.errors import in_words
from healthcode.http.security import ResidentDep
from healthcode.http.views import CodeView, code_view
from healthcode.services.accounts.permissions import Principal
from healthcode.services.codes import health_codes as codes
from healthcode.services.notices import centre
from healthcode.services.organisations import checkins, routing
from healthcode.services.residents.dependants import (
    RELATIONSHIPS,
    DependantSummary,
    list_dependants,
)
from healthcode.services.shared.bounds import temperature_text
from healthcode.services.shared.env import Env
from healthcode.web.deps import FormDep, MaybeResidentDep
from healthcode.web.forms import FormState
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


WINDOW_WORDS = {Window.MORNING: N_("Morning"), Window.EVENING: N_("Evening")}


@router.get("/")
def home(
    request: Request, resident: MaybeResidentDep, uow: UowDep, env: EnvDep, checked: int = 0
) -> Response:
    if resident is None:
        return RedirectResponse("/login", status_code=303)
    return _home(request, resident, uow, env, checked=bool(checked))


@router.post("/checkin")
def check_in(
    request: Request, resident: ResidentDep, uow: UowDep, env: EnvDep, data: FormDep
) -> Response:
    """Today's check-in for the employers whose staff list holds the resident."""
    raw = str(data.get("temperature", "")).strip()
    symptoms = str(data.get("symptoms", ""))
    form = FormState(values={"temperature": raw, "symptoms": symptoms})
    try:
        value = _reading(raw, symptoms)
        checkins.check_in(uow, env, resident, temperature=value, symptoms=symptoms == "yes")
    except DomainError as error:
        uow.refused(error)
        if isinstance(error, InvalidInput):
            for e in error.errors:
                form.add_error(e.field, in_words(InvalidInput(e)))
        else:
            form.general.append(in_words(error))
        return _home(request, resident, uow, env, form=form, status=error.status)
    return RedirectResponse("/?checked=1#checkin", status_code=303)


def _reading(raw: str, symptoms: str) -> float:
    """The form's two answers refused together, so one correction sends it; the text
    read as the API reads it (a decimal comma, full-width digits; a typed ℃ too)."""
    wrong: list[FieldError] = []
    if symptoms not in ("yes", "no"):
        wrong.append(FieldError("symptoms", "required", N_("Say whether you have any symptoms")))
    try:
        value = float(str(temperature_text(raw.replace("℃", ""))))
    except ValueError:
        wrong.append(FieldError("temperature", "number", N_("Type a number, e.g. 36.5")))
    if wrong:
        raise InvalidInput(*wrong)
    return value


def _home(
    request: Request,
    resident: Principal,
    uow: UowDep,
    env: Env,
    *,
    form: FormState | None = None,
    status: int = 200,
    checked: bool = False,
) -> Response:
    cards = []
    may_ring = False  # an issuer calls only about an application awaiting signature
    for policy in env.policies.values():
        view = None
        if resident.resident_id is not None:
            state = codes.read_code_state(
                uow, env, resident_id=resident.resident_id, policy_id=policy.id
            )
            unrouted = routing.unrouted(uow, state.awaiting_signature)
            view = (
                code_view(policy, state, unrouted=unrouted)
                if state.colour is not Colour.NONE
                else None
            )
            may_ring = may_ring or state.awaiting_signature is not None
        cards.append(Card(policy, policy.model is Model.PASS, view))
    unread = centre.count_unread(uow, resident)
    return render(
        request,
        "residents/home.html",
        headers={"Cache-Control": "no-store"},
        status=status,
        cards=cards,
        unread=unread,
        today=checkins.today_checkin(uow, env, resident),
        checkin_form=form or FormState(),
        checked=checked,
        window_words=WINDOW_WORDS,
        morning=Window.MORNING,
        evening=Window.EVENING,
        may_ring=may_ring,
        family=_family(uow, env, resident.account_id),
        policies=list(env.policies.values()),
        max_family=env.settings.max_dependants,
        icons={colour.value: icon for colour, icon in ICONS.items()},
    )
