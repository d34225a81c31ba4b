"""The venues list and registration, one venue with its operators (``/staff/venues``).

The same services as ``/api/v1/venues``: an administrator sees and registers the
venues of their organisations and regions, an operator sees the venues it works at.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from healthcode.domain.errors import DomainError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.errors import in_words
from healthcode.http.security import require, require_any
from healthcode.i18n import translate
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.organisations import registry
from healthcode.services.scanning import venues
from healthcode.services.scanning.venues import VenueKind
from healthcode.web.deps import FormDep
from healthcode.web.forms import FormState, form_id, read_form
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)
Manager = Annotated[Principal, Depends(require(Permission.ORGANISATIONS_MANAGE))]
VenueStaff = Annotated[
    Principal, Depends(require_any(Permission.ORGANISATIONS_MANAGE, Permission.SCAN))
]
NO_STORE = {"Cache-Control": "no-store"}
KINDS = {
    VenueKind.CHECKPOINT: N_("Checkpoint"),
    VenueKind.EMPLOYER_GATE: N_("Employer's gate"),
    VenueKind.SCHOOL: N_("School"),
    VenueKind.COMMUNITY_GATE: N_("Community gate"),
    VenueKind.MARKET: N_("Market or supermarket"),
    VenueKind.FEVER_CLINIC: N_("Fever clinic"),
    VenueKind.PHARMACY: N_("Pharmacy"),
    VenueKind.OTHER: N_("Other place"),
}


@router.get("/staff/venues")
def venue_list(request: Request, who: VenueStaff, uow: UowDep) -> Response:
    return _list(request, who, uow, FormState())


def _list(
    request: Request, who: Principal, uow: UowDep, form: FormState, status: int = 200
) -> Response:
    manages = who.can(Permission.ORGANISATIONS_MANAGE)
    return render(
        request,
        "scanning/venues.html",
        status=status,
        headers=NO_STORE,
        venues=venues.list_venues(uow, who),
        organisations=registry.list_organisations(uow, who, limit=500) if manages else [],
        manages=manages,
        kinds=KINDS,
        form=form,
    )


@router.post("/staff/venues")
def register(request: Request, who: Manager, uow: UowDep, env: EnvDep, data: FormDep) -> Response:
    form = read_form(data)
    try:
        made = venues.register_venue(
            uow,
            env,
            who,
            organisation_id=_runner(form.value("organisation_id")),
            kind=_kind(form.value("kind")),
            name=form.value("name"),
            address=form.value("address"),
            region_code=form.value("region") or None,
            gate_mode=form.value("gate_mode") == "on",
            client=client_address(request),
        )
    except DomainError as error:
        uow.refused(error)
        _show(form, error)
        return _list(request, who, uow, form, status=error.status)
    return RedirectResponse(f"/staff/venues/{made.id}", status_code=303)


@router.get("/staff/venues/{venue_id}")
def venue_page(request: Request, venue_id: uuid.UUID, who: VenueStaff, uow: UowDep) -> Response:
    return _venue(request, who, uow, venue_id, FormState())


def _venue(
    request: Request,
    who: Principal,
    uow: UowDep,
    venue_id: uuid.UUID,
    form: FormState,
    status: int = 200,
) -> Response:
    venue = venues.show_venue(uow, who, venue_id)
    administers = who.can(Permission.ORGANISATIONS_MANAGE)
    operators = venues.list_operators(uow, who, venue_id) if administers else None
    return render(
        request,
        "scanning/venue.html",
        status=status,
        headers=NO_STORE,
        venue=venue,
        kind=KINDS[venue.kind],
        operators=operators,
        scans=who.can(Permission.SCAN),
        form=form,
    )


@router.post("/staff/venues/{venue_id}/operators")
def add_operator(
    request: Request,
    venue_id: uuid.UUID,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
    data: FormDep,
) -> Response:
    venues.show_venue(uow, who, venue_id)  # out of scope: not found, whatever the form
    form = read_form(data)
    try:
        venues.create_operator(
            uow,
            env,
            who,
            venue_id=venue_id,
            username=form.value("username"),
            password=form.value("password"),
            display_name=form.value("display_name"),
            client=client_address(request),
        )
    except DomainError as error:
        uow.refused(error)
        form.values.pop("password", None)
        _show(form, error)
        return _venue(request, who, uow, venue_id, form, status=error.status)
    return RedirectResponse(f"/staff/venues/{venue_id}", status_code=303)


def _show(form: FormState, error: DomainError) -> None:
    if isinstance(error, InvalidInput):
        for e in error.errors:
            form.add_error(e.field, translate(e.message, e.params))
    else:
        form.general.append(in_words(error))


def _runner(value: str) -> uuid.UUID:
    found = form_id(value)
    if found is None:
        raise InvalidInput.single(
            "organisation_id", "required", N_("Choose the organisation that runs the venue")
        )
    return found


def _kind(value: str) -> VenueKind:
    try:
        return VenueKind(value)
    except ValueError:
        raise InvalidInput.single("kind", "required", N_("Choose the kind of place")) from None
