"""Staff pages: the staff home, issuer authorisation (apply, mine, decide) and the
organisation page (details, its people, employers waiting for approval).

Every read and decision goes through the same services as the JSON API, so scope is
checked once, there: another community's authorisation or organisation is a 404
page. Forms post back and redirect (no scripts needed).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from healthcode.domain.errors import DomainError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.http.deps import ClientDep, EnvDep, UowDep
from healthcode.http.errors import in_words
from healthcode.http.security import PrincipalDep, require
from healthcode.i18n import translate
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.organisations import authorisations, registry, routing
from healthcode.services.organisations.authorisations import AuthorisationStatus, Decision
from healthcode.web.deps import FormDep
from healthcode.web.forms import FormState, read_form
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)
Approver = Annotated[Principal, Depends(require(Permission.ISSUERS_APPROVE))]
Manager = Annotated[Principal, Depends(require(Permission.ORGANISATIONS_MANAGE))]
NO_STORE = {"Cache-Control": "no-store"}
APPLY_FIELDS = ("credit_code", "organisation_name", "unit", "name", "position", "phone", "region")

# What a staff member may do, by the permission it needs (None: anyone signed in).
# Other parts of the staff site add their entries here; the page shows one list.
# Each link shows for a holder of any of its permissions (none: everyone signed in).
STAFF_LINKS: tuple[tuple[frozenset[Permission], str, str], ...] = (
    (frozenset(), "/staff/authorisations/apply", N_("Apply to be an issuer")),
    (frozenset(), "/staff/authorisations/mine", N_("My authorisations")),
    (frozenset({Permission.ISSUERS_APPROVE}), "/staff/authorisations", N_("Issuer applications")),
    (frozenset({Permission.ORGANISATIONS_MANAGE}), "/staff/organisations", N_("Organisations")),
    (frozenset({Permission.APPLICATION_READ}), "/staff/queue", N_("Applications waiting")),
    (frozenset({Permission.PASS_SIGN}), "/staff/counter", N_("Counter application")),
    (frozenset({Permission.COLOUR_OVERRIDE}), "/staff/overrides", N_("Colour overrides")),
    (frozenset({Permission.STAFF_MANAGE}), "/staff/manage", N_("Staff and rosters")),
    (
        frozenset({Permission.ORGANISATIONS_MANAGE, Permission.SCAN}),
        "/staff/venues",
        N_("Venues and checkpoints"),
    ),
    (frozenset({Permission.SCAN}), "/staff/scanner", N_("Offline scanner")),
    (frozenset({Permission.RECORDS_IMPORT}), "/staff/records/imports", N_("Department data")),
    (frozenset({Permission.RECORDS_IMPORT}), "/staff/records/tracing", N_("Tracing from scans")),
    (
        frozenset({Permission.APPEALS_DECIDE, Permission.COLOUR_OVERRIDE}),
        "/staff/appeals",
        N_("Appeals"),
    ),
    (frozenset({Permission.FRAUD_REVIEW}), "/staff/fraud", N_("Fraud cases")),
    (frozenset(), "/staff/password", N_("Change my password")),
)


# Words for the templates' statuses and buttons (English message ids, translated there).
WORDS: dict[str, Any] = {
    "roles": {"issuer": N_("Issuer"), "org_admin": N_("Organisation administrator")},
    "statuses_words": {
        "applied": N_("Waiting for approval"),
        "active": N_("Active"),
        "suspended": N_("Suspended"),
        "revoked": N_("Revoked"),
        "refused": N_("Refused"),
    },
    "decision_words": {
        "approve": N_("Approve"),
        "refuse": N_("Refuse"),
        "suspend": N_("Suspend"),
        "reactivate": N_("Reactivate"),
        "revoke": N_("Revoke"),
    },
    "decisions_for": {
        "applied": ["approve", "refuse"],
        "active": ["suspend", "revoke"],
        "suspended": ["reactivate", "revoke"],
        "revoked": [],
        "refused": [],
    },
    "kinds": {"community": N_("Community"), "village": N_("Village"), "employer": N_("Employer")},
    "org_statuses": {
        "pending": N_("Waiting for approval"),
        "active": N_("Active"),
        "suspended": N_("Suspended"),
    },
}


@router.get("/staff")
def staff_home(request: Request, who: PrincipalDep) -> Response:
    links = [
        (href, label)
        for need, href, label in STAFF_LINKS
        if not need or any(who.can(p) for p in need)
    ]
    return render(request, "organisations/staff.html", headers=NO_STORE, **WORDS, links=links)


@router.get("/staff/authorisations/apply")
def apply_form(request: Request, who: PrincipalDep) -> Response:
    return _apply_page(request, FormState())


def _apply_page(request: Request, form: FormState, *, status: int = 200) -> Response:
    return render(
        request, "organisations/apply.html", status=status, headers=NO_STORE, **WORDS, form=form
    )


@router.post("/staff/authorisations/apply")
def apply(
    request: Request, who: PrincipalDep, uow: UowDep, env: EnvDep, client: ClientDep, data: FormDep
) -> Response:
    form = read_form(data)
    try:
        authorisations.apply(
            uow,
            env,
            who,
            credit_code=form.value("credit_code"),
            organisation_name=form.value("organisation_name"),
            unit=form.value("unit"),
            name=form.value("name"),
            position=form.value("position"),
            phone=form.value("phone"),
            region_code=form.value("region"),
            client=client,
        )
    except DomainError as error:
        uow.refused(error)
        _show(form, error)
        return _apply_page(request, form, status=error.status)
    return RedirectResponse("/staff/authorisations/mine", status_code=303)


def _show(form: FormState, error: DomainError) -> None:
    """A refusal on the form: by field where it names one of ours, else on top."""
    if not isinstance(error, InvalidInput):
        form.general.append(in_words(error))
        return
    for field in error.errors:
        message = translate(field.message, field.params)
        if field.field in APPLY_FIELDS:
            form.add_error(field.field, message)
        else:
            form.general.append(message)


@router.get("/staff/authorisations/mine")
def mine(request: Request, who: PrincipalDep, uow: UowDep) -> Response:
    return render(
        request,
        "organisations/mine.html",
        headers=NO_STORE,
        **WORDS,
        items=authorisations.my_authorisations(uow, who),
    )


@router.get("/staff/authorisations")
def decisions(
    request: Request, who: Approver, uow: UowDep, status: AuthorisationStatus | None = None
) -> Response:
    return render(
        request,
        "organisations/authorisations.html",
        headers=NO_STORE,
        **WORDS,
        items=authorisations.list_authorisations(uow, who, status=status),
        status_filter=status.value if status else "",
        statuses=list(AuthorisationStatus),
    )


@router.post("/staff/authorisations/{authorisation_id}/{decision}")
def decide(
    authorisation_id: uuid.UUID,
    decision: Decision,
    who: Approver,
    uow: UowDep,
    env: EnvDep,
    client: ClientDep,
    data: FormDep,
) -> Response:
    reason = str(data.get("reason") or "")[:500]
    authorisations.decide(
        uow,
        env,
        who,
        authorisation_id=authorisation_id,
        decision=decision,
        reason=reason,
        client=client,
    )
    return RedirectResponse("/staff/authorisations", status_code=303)


@router.get("/staff/organisations")
def organisations(request: Request, who: Manager, uow: UowDep, env: EnvDep) -> Response:
    return render(
        request,
        "organisations/organisations.html",
        headers=NO_STORE,
        **WORDS,
        items=registry.list_organisations(uow, who),
        unrouted=routing.unrouted_in_reach(uow, env, who),
    )


@router.get("/staff/organisations/{organisation_id}")
def organisation(
    request: Request, organisation_id: uuid.UUID, who: Manager, uow: UowDep
) -> Response:
    found = registry.show_organisation(uow, who, organisation_id)
    employers = [
        o for o in registry.list_organisations(uow, who, limit=500) if o.parent_id == found.id
    ]
    return render(
        request,
        "organisations/organisation.html",
        headers=NO_STORE,
        **WORDS,
        org=found,
        people=authorisations.issuers_of(uow, who, organisation_id),
        employers=employers,
    )


@router.post("/staff/organisations/{organisation_id}/approval")
def approve_employer(
    organisation_id: uuid.UUID, who: Manager, uow: UowDep, env: EnvDep, client: ClientDep
) -> Response:
    approved = registry.approve_employer(
        uow, env, who, organisation_id=organisation_id, client=client
    )
    target = approved.parent_id or approved.id
    return RedirectResponse(f"/staff/organisations/{target}", status_code=303)
