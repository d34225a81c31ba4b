"""The scan and result screen (``/staff/venues/{id}/scan``): works without JavaScript.

A keyboard-wedge scanner (or pasted text) fills the code field and submits; an ID
card's number goes in its own field. The answer is the result screen: the colour in
words and shape, the masked name, validity, the action, one tap to release (with an
optional temperature) and one to say "not the holder". Each POST redirects to the
result (``/staff/venues/{id}/scans/{scan_id}``), so a reload repeats nothing.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from healthcode.domain.checkpoint import Decision, Verdict
from healthcode.domain.colour import Colour
from healthcode.domain.errors import DomainError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.tokens import Refusal
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.errors import in_words
from healthcode.http.scan_views import ScanView, scan_view
from healthcode.http.security import require
from healthcode.i18n import translate
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.organisations.registry import OrganisationSuspended
from healthcode.services.scanning import lookups, releases, scans, venues
from healthcode.services.scanning.venues import VenueSummary
from healthcode.web.deps import FormDep
from healthcode.web.forms import FormState, read_form
from healthcode.web.labels import ICONS
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)
Scanner = Annotated[Principal, Depends(require(Permission.SCAN))]
Releaser = Annotated[Principal, Depends(require(Permission.RELEASE))]
NO_STORE = {"Cache-Control": "no-store"}
# A refused code's colour is what the code claims, not the holder's standing: under
# "do not pass" the badge says what the code is, and its colour goes to small print
# (a large "green code" on the red card was misread). A gate's refusal of a yellow or
# red code and a fever keep the colour: it is genuine, and the reason.
BADGES: dict[str, str] = {
    Refusal.EXPIRED: N_("Expired code (likely a screenshot)"),
    Refusal.PRESENTATION_STALE: N_("Not a live code (likely a screenshot)"),
    Refusal.PASS_LAPSED: N_("The pass has ended"),
    Refusal.REVOKED: N_("Revoked code"),
    Refusal.WRONG_PERSON: N_("Someone else's code"),
    Verdict.NOT_THE_HOLDER: N_("Someone else's code"),
}
INVALID_BADGE = N_("Invalid code")
COLOUR_STANDS = {None, Verdict.GATE_MODE, Verdict.FEVER}


def _screen(
    request: Request,
    uow: UowDep,
    venue: VenueSummary,
    form: FormState,
    result: ScanView | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "scanning/scan.html",
        status=status,
        headers=NO_STORE,
        venue=venue,
        paused=paused(uow, venue),
        form=form,
        result=result,
        headline=result.headline if result else "",  # the policy's (scan_views.scan_view)
        tint=_tint(result),
        icon=ICONS[Colour(_tint(result))] if result else "",
        badge=_badge(result),
        foreign_claims=_claims_text(result),
    )


def paused(uow: UowDep, venue: VenueSummary) -> str:
    """Why the venue scans nothing now, in words ("": it scans): in place of the form."""
    try:
        venues.check_scanning(uow, venue)
    except OrganisationSuspended as error:
        return in_words(error)
    return ""


def _badge(result: ScanView | None) -> str:
    """The words under a refusal in place of the code's colour ("" : its colour)."""
    if result is None or result.colour is None or result.reason in COLOUR_STANDS:
        return ""
    return translate(BADGES.get(result.reason or "", INVALID_BADGE))


def _claims_text(result: ScanView | None) -> str:
    """Another region's claims as it sent them, for a ``<pre>`` (JSON, text kept)."""
    if result is None or result.region is None or result.region.claims is None:
        return ""
    return json.dumps(result.region.claims, ensure_ascii=False, indent=2)


@router.get("/staff/venues/{venue_id}/scan")
def scan_page(request: Request, venue_id: uuid.UUID, who: Scanner, uow: UowDep) -> Response:
    return _screen(request, uow, venues.operated_venue(uow, who, venue_id), FormState())


@router.post("/staff/venues/{venue_id}/scan")
def scan(
    request: Request,
    venue_id: uuid.UUID,
    who: Scanner,
    uow: UowDep,
    env: EnvDep,
    data: FormDep,
) -> Response:
    venue = venues.operated_venue(uow, who, venue_id)  # out of scope: not found
    form = read_form(data)
    token, number = form.value("token").strip(), form.value("id_number").strip()
    try:
        if number:
            result = lookups.check_id_card(
                uow, env, who, venue_id=venue.id, id_number=number, token=token or None,
                client=client_address(request),
            )  # fmt: skip
        elif token:
            result = scans.scan_code(
                uow, env, who, venue_id=venue.id, token=token, client=client_address(request)
            )
        else:
            raise InvalidInput.single(
                "token", "required", N_("Scan a code, or enter the ID card's number")
            )
    except DomainError as error:
        uow.refused(error)
        if isinstance(error, InvalidInput):
            for e in error.errors:
                form.add_error(e.field, translate(e.message, e.params))
        else:
            form.general.append(in_words(error))
        return _screen(request, uow, venue, form, status=error.status)
    return RedirectResponse(f"/staff/venues/{venue.id}/scans/{result.id}", status_code=303)


@router.get("/staff/venues/{venue_id}/scans/{scan_id}")
def result_page(
    request: Request,
    venue_id: uuid.UUID,
    scan_id: uuid.UUID,
    who: Scanner,
    uow: UowDep,
    env: EnvDep,
) -> Response:
    venue = venues.operated_venue(uow, who, venue_id)
    result = scans.show_scan(uow, env, who, scan_id=scan_id)
    if result.venue_id != venue.id:
        return RedirectResponse(f"/staff/venues/{result.venue_id}/scans/{scan_id}", 303)
    return _screen(request, uow, venue, FormState(), scan_view(result))


@router.post("/staff/scans/{scan_id}/release")
def release(
    request: Request,
    scan_id: uuid.UUID,
    who: Releaser,
    uow: UowDep,
    env: EnvDep,
    data: FormDep,
) -> Response:
    found = scans.show_scan(uow, env, who, scan_id=scan_id)  # out of scope: not found
    form = read_form(data)
    try:
        releases.release(
            uow, env, who, scan_id=scan_id, temperature=_temperature(form.value("temperature")),
            client=client_address(request),
        )  # fmt: skip
    except DomainError as error:
        uow.refused(error)
        form.add_error("temperature", in_words(error))
        venue = venues.operated_venue(uow, who, found.venue_id)
        return _screen(request, uow, venue, form, scan_view(found), status=error.status)
    return RedirectResponse(f"/staff/venues/{found.venue_id}/scans/{scan_id}", status_code=303)


@router.post("/staff/scans/{scan_id}/not-the-holder")
def not_the_holder(
    request: Request, scan_id: uuid.UUID, who: Scanner, uow: UowDep, env: EnvDep
) -> Response:
    case = releases.report_not_the_holder(
        uow, env, who, scan_id=scan_id, client=client_address(request)
    )
    found = scans.show_scan(uow, env, who, scan_id=case.scan_id)
    return RedirectResponse(f"/staff/venues/{found.venue_id}/scans/{scan_id}", status_code=303)


def _tint(result: ScanView | None) -> str:
    """The result box's colour and shape: a refusal is a red octagon (stop) whatever
    the code's colour, which the words still name."""
    if result is None or result.decision == Decision.REFUSED or result.colour is None:
        return Colour.RED.value
    return result.colour.value


def _temperature(raw: str) -> float | None:
    text = raw.strip().replace("，", ".").replace(",", ".").rstrip("℃°C ")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput.single(
            "temperature", "number", N_("Enter the temperature as a number, e.g. 36.5")
        ) from None
