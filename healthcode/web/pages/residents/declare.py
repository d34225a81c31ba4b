"""Declare (健康码申请 / 通行卡申请) → pledge → second confirmation (二次确认) → code.

Seed 003's manual: the resident fills in their health truthfully and confirms it
by hand; the system asks for a second confirmation, then shows the code page with
first-use guidance. Seed 000: under a pass the confirmed declaration is the
application, and the code is the black-and-white pending one until it is signed.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from healthcode.domain.clock import day_of
from healthcode.domain.eligibility import date_requirements, unmet
from healthcode.domain.errors import DomainError
from healthcode.domain.identity import CHINA, COUNTRIES
from healthcode.domain.identity.regions import lookup_region
from healthcode.domain.policy import Model, Policy
from healthcode.http.deps import ClientDep, EnvDep, UowDep
from healthcode.http.errors import in_words
from healthcode.http.security import ResidentDep
from healthcode.services.accounts.permissions import Principal
from healthcode.services.organisations import registry, roster
from healthcode.services.organisations.registry import OrganisationSummary
from healthcode.services.residents import declarations
from healthcode.services.residents.binding import ClaimCodeSent, IdNumberTaken
from healthcode.services.residents.declarations import CONFIRM_WITHIN, Submission
from healthcode.services.residents.dependants import RELATIONSHIPS, relationship_of
from healthcode.services.residents.inputs import DeclarationInput
from healthcode.services.shared.env import Env
from healthcode.web import stash
from healthcode.web.deps import FormDep, known_policy
from healthcode.web.forms import (
    MAX_TRIP_ROWS,
    FormState,
    declaration_payload,
    form_from_declaration,
    parse,
    read_form,
    reject,
)
from healthcode.web.labels import EXPOSURE_DATES, EXPOSURES, PURPOSES, QUICK_TEMPERATURES, SYMPTOMS
from healthcode.web.templating import render
from healthcode.web.views import declared

router = APIRouter(include_in_schema=False)
LISTS = ("symptoms", "exposure")
# Nationality is picked, not typed: China first, then the rest by English name.
COUNTRY_CHOICES = sorted(COUNTRIES.values(), key=lambda c: (c.alpha3 != CHINA, c.name_en))


def health_fields(env: Env, policy: Policy) -> dict[str, object]:
    """What the health part of a form offers under this policy (its ``form:``)."""
    return {
        "symptoms": [(s.value, SYMPTOMS[s]) for s in policy.form.symptoms],
        "exposures": [(k.value, EXPOSURES[k], EXPOSURE_DATES[k]) for k in policy.form.exposures],
        "temps": QUICK_TEMPERATURES,
        "today": day_of(env.clock.now()).isoformat(),
    }


def reviewers(uow: UowDep, region: str) -> list[tuple[str, list[OrganisationSummary]]]:
    """The active communities and villages to pick from, by county: the typed county's,
    else all of them (the page works without scripts)."""
    return [
        (_county_name(county), found) for county, found in registry.grassroots_choices(uow, region)
    ]


def _county_name(code: str) -> str:
    found = lookup_region(code)
    return found.full_name if found else code


def _form_page(
    request: Request,
    env: Env,
    policy: Policy,
    form: FormState,
    *,
    uow: UowDep,
    status: int = 200,
    employers: tuple[roster.Employer, ...] = (),
    for_dependant: bool = False,
) -> Response:
    return render(
        request,
        "residents/declare.html",
        for_dependant=for_dependant,
        relationships=list(RELATIONSHIPS.items()) if for_dependant else [],
        status=status,
        headers={"Cache-Control": "no-store"},
        policy=policy,
        form=form,
        is_pass=policy.model is Model.PASS,
        requires=policy.form.requires,
        purposes=[(p.value, label) for p, label in PURPOSES.items()],
        countries=COUNTRY_CHOICES,
        date_warnings=_date_warnings(env, policy),
        employers=employers,
        reviewers=reviewers(uow, form.value("region")) if policy.model is Model.PASS else [],
        **health_fields(env, policy),
    )


def _date_warnings(env: Env, policy: Policy) -> dict[str, dict[str, object]]:
    """Per field: the latest date the rules sign green today, and their words if later."""
    today = day_of(env.clock.now())
    return {
        r.field: {"after": r.latest(today).isoformat(), "words": r.reason}
        for r in date_requirements(policy)
    }


@router.get("/declare/{policy_id}")
def declaration_form(
    request: Request,
    policy_id: str,
    principal: ResidentDep,
    uow: UowDep,
    env: EnvDep,
    edit: uuid.UUID | None = None,
) -> Response:
    policy = known_policy(env, policy_id)
    form = FormState()
    kept = stash.restore(request)  # typed before a language switch or a sign-in
    if kept is not None:
        form = read_form(kept.form, list_fields=LISTS)
    elif edit is not None:
        own = declarations.show_declaration(
            uow, env, account_id=principal.account_id, declaration_id=edit
        )
        form = form_from_declaration(own.declaration, own.identity)
    elif not _for_dependant(request):
        earlier = declarations.start_from(uow, env, resident_id=principal.resident_id)
        if earlier is not None:
            form = form_from_declaration(earlier.declaration, earlier.identity, health=False)
    return _form_page(
        request,
        env,
        policy,
        form,
        uow=uow,
        employers=_employers(uow, env, principal, policy),
        for_dependant=_for_dependant(request),
    )


def _for_dependant(request: Request) -> bool:
    """``?for=dependant``: the form is filled in for a family member (代领)."""
    return request.query_params.get("for") == "dependant"


def _employers(
    uow: UowDep, env: Env, principal: Principal, policy: Policy
) -> tuple[roster.Employer, ...]:
    """A pass form offers to apply as staff of the employers whose list holds the resident."""
    if policy.model is not Model.PASS:
        return ()
    return roster.employers_of(uow, env, account_id=principal.account_id)


@router.post("/declare/{policy_id}")
def submit(
    request: Request,
    policy_id: str,
    principal: ResidentDep,
    uow: UowDep,
    env: EnvDep,
    data: FormDep,
) -> Response:
    policy = known_policy(env, policy_id)
    form = read_form(data, list_fields=LISTS)
    if form.value("action") == "add_trip":
        form.trip_rows = min(form.trip_rows + 1, MAX_TRIP_ROWS)
        return _form_page(
            request, env, policy, form, uow=uow, employers=_employers(uow, env, principal, policy)
        )
    payload, layout = declaration_payload(form, policy.id, policy.form.exposures)
    for_dependant = _for_dependant(request)
    try:
        relationship = relationship_of(form.value("relationship")) if for_dependant else None
        row = declarations.submit_declaration(
            uow,
            env,
            account_id=principal.account_id,
            data=parse(DeclarationInput, payload),
            relationship=relationship,
        ).declaration
    except DomainError as error:
        uow.refused(error)
        reject(form, layout, error)
        offers = _employers(uow, env, principal, policy)
        return _form_page(
            request, env, policy, form, uow=uow, status=error.status, employers=offers,
            for_dependant=for_dependant,
        )  # fmt: skip
    return RedirectResponse(f"/declarations/{row.id}", status_code=303)


def _confirm_page(
    request: Request,
    env: Env,
    own: declarations.Submission,
    *,
    error: DomainError | None = None,
    claim_sent: ClaimCodeSent | None = None,
) -> Response:
    row = own.declaration
    return render(
        request,
        "residents/confirm.html",
        status=error.status if error else 200,
        headers={"Cache-Control": "no-store"},
        policy=env.policies.find(row.policy_id),
        row=row,
        shown=declared(row, own.identity),
        confirm_before=row.submitted_at + CONFIRM_WITHIN,
        unmet=unmet(
            env.policies.find(row.policy_id),
            {"residence_since": row.residence_since},
            day_of(env.clock.now()),
        ),
        error=in_words(error) if error else "",
        taken=isinstance(error, IdNumberTaken) or claim_sent is not None,
        claim_sent=claim_sent,
        relationships=RELATIONSHIPS,
    )


def _own(uow: UowDep, env: EnvDep, principal: ResidentDep, declaration_id: uuid.UUID) -> Submission:
    return declarations.show_declaration(
        uow, env, account_id=principal.account_id, declaration_id=declaration_id
    )


@router.get("/declarations/{declaration_id}")
def confirmation(
    request: Request, declaration_id: uuid.UUID, principal: ResidentDep, uow: UowDep, env: EnvDep
) -> Response:
    """二次确认: what was declared, shown back (masked) before the code is made."""
    own = _own(uow, env, principal, declaration_id)
    if own.declaration.confirmed_at is not None:
        return RedirectResponse(_code_address(own), status_code=303)
    return _confirm_page(request, env, own)


def _code_address(own: Submission, query: str = "") -> str:
    """The code a confirmed declaration made: one's own, or the family member's."""
    row = own.declaration
    if row.relationship is not None and row.resident_id is not None:
        return f"/family/{row.resident_id}/codes/{row.policy_id}{query}"
    return f"/codes/{row.policy_id}{query}"


@router.post("/declarations/{declaration_id}/confirm")
def confirm(
    request: Request,
    declaration_id: uuid.UUID,
    principal: ResidentDep,
    uow: UowDep,
    env: EnvDep,
    client: ClientDep,
) -> Response:
    own = _own(uow, env, principal, declaration_id)
    policy_id = own.declaration.policy_id
    try:
        declarations.confirm_declaration(
            uow, env, account_id=principal.account_id, declaration_id=declaration_id, client=client
        )
    except declarations.AlreadyConfirmed as error:
        uow.refused(error)
        return RedirectResponse(f"/codes/{policy_id}", status_code=303)
    except DomainError as error:
        uow.refused(error)
        return _confirm_page(request, env, own, error=error)
    return RedirectResponse(
        _code_address(_own(uow, env, principal, declaration_id), "?welcome=1"), status_code=303
    )


@router.post("/declarations/{declaration_id}/claim-code")
def claim_code(
    request: Request,
    declaration_id: uuid.UUID,
    principal: ResidentDep,
    uow: UowDep,
    env: EnvDep,
    client: ClientDep,
) -> Response:
    """The ID number is another account's: text a code to that account's phone."""
    own = _own(uow, env, principal, declaration_id)
    try:
        sent = declarations.request_id_claim_code(
            uow, env, account_id=principal.account_id, declaration_id=declaration_id, client=client
        )
    except DomainError as error:
        uow.refused(error)
        return _confirm_page(request, env, own, error=error)
    return _confirm_page(request, env, own, claim_sent=sent)


@router.post("/declarations/{declaration_id}/claim")
def claim(
    request: Request,
    declaration_id: uuid.UUID,
    principal: ResidentDep,
    uow: UowDep,
    env: EnvDep,
    client: ClientDep,
    code: Annotated[str, Form(max_length=16)],
) -> Response:
    """With the right code the ID number moves here; the resident then confirms."""
    own = _own(uow, env, principal, declaration_id)
    try:
        declarations.claim_id_number(
            uow,
            env,
            account_id=principal.account_id,
            declaration_id=declaration_id,
            code=code,
            client=client,
        )
    except DomainError as error:
        uow.refused(error)
        return _confirm_page(request, env, own, error=error)
    return RedirectResponse(f"/declarations/{declaration_id}", status_code=303)
