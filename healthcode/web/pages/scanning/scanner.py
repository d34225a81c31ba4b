"""The offline scanner page (离线扫码): a checkpoint's guard reads codes with a
keyboard-wedge scanner, by pasting, or with the camera, and the page verifies them
itself (static/scanner/verify.js) against the trust and revocation lists it keeps in
IndexedDB; scan records wait in a queue until the network is back.

The page only hands the script what it needs: the venue, the words of the result
screen in the reader's language, how old the lists may get before it warns, the
presentation window, and the pinned list-signing keys (docs/scanner.md). The queue
goes up through ``POST /staff/scanner/scans`` (cookie and CSRF token: the JSON API
takes writes with a bearer token only), the page twin of
``POST /api/v1/venues/{venue_id}/scans/batch`` over the same service.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from healthcode.domain.checkpoint import VERDICT_MESSAGES, Verdict, fever_line
from healthcode.domain.colour import Colour
from healthcode.domain.temperature import HIGHEST_C, LOWEST_C, RANGE_MESSAGE
from healthcode.domain.tokens.refusal import VALID_MESSAGE, Refusal
from healthcode.domain.tokens.trustlist import to_jwks
from healthcode.http.deps import ClientDep, EnvDep, UowDep
from healthcode.http.scan_views import MAX_BATCH, BatchInput, batch_out, read_batch
from healthcode.i18n import pick
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.scanning import uploads, venues
from healthcode.services.shared import lists
from healthcode.services.shared.env import Env
from healthcode.web.labels import ICONS
from healthcode.web.pages.organisations.access import staff_with
from healthcode.web.pages.scanning.scan import paused
from healthcode.web.templating import _, render

router = APIRouter(include_in_schema=False)
Scanner = Annotated[Principal, Depends(staff_with(Permission.SCAN))]
NO_STORE = {"Cache-Control": "no-store"}
REFUSED_ICON = "✕"


def pinned_list_keys(uow: UowDep, env: EnvDep) -> dict[str, Any] | None:
    """The list-signing keys the page pins (a JWK Set), or None when there are none
    yet: the page then reads the plain lists. Pinned when the page is loaded (signed
    in, online), so a list the scanner later fetches must be signed by one of them."""
    keys = lists.list_keys(uow, env.protector, now=env.clock.now())
    return to_jwks(keys) if keys else None


def _words() -> dict[str, Any]:
    colours = (Colour.GREEN, Colour.YELLOW, Colour.RED, Colour.PENDING)
    return {
        "colours": {c.value: _(c.label) for c in colours},
        "icons": {**{c.value: ICONS[c] for c in colours}, "refused": REFUSED_ICON},
        "reasons": {
            **{r.value: _(r.message) for r in Refusal},
            Verdict.FEVER.value: _(VERDICT_MESSAGES[Verdict.FEVER]),
        },
        "valid": _(VALID_MESSAGE),
        "refused": _("Code refused"),
        "may_pass": _("Let through after the temperature check"),
        "stop": _("Stop: do not let through"),
        "pass_until": _("Pass valid until {at}", at="{time}"),
        "live": _(
            "Live code checked: made within the last minute (an older screenshot is refused)."
        ),
        "scanned_at": _("Scanned at {time}", time="{time}"),
        "lists_age": _("Lists issued {time}", time="{time}"),
        "lists_stale": _(
            "Older than {days} days: connect to the internet to update them.", days="{days}"
        ),
        "no_lists": _("No trust list yet: connect to the internet once to fetch it."),
        "queued": _("{count} scans waiting to upload", count="{count}"),
        "queue_empty": _("Every scan is uploaded."),
        "not_recorded": _(
            "The server did not record these scans: note them by hand.",
        ),
        "not_recorded_item": _("Scanned at {time}: {why}", time="{time}", why="{why}"),
        "id_exact": _("ID card checked: the whole number matches the code."),
        "id_partial": _(
            "ID card checked: the first and last four characters match the code "
            "(a printed or on-screen code shows no more). Compare the photo."
        ),
        "id_mismatch": _("ID card checked: it is not this code's holder."),
        "id_no_scan": _("Scan the code first, then check the ID card."),
        "id_empty": _("Type the ID card number, or read the card with the reader."),
        "temp_number": _("Enter the temperature as a number, e.g. 36.5"),
        "temp_range": _(RANGE_MESSAGE, low=LOWEST_C, high=HIGHEST_C),
        "temp_recorded": _("Temperature {value} ℃ recorded", value="{value}"),
        "region": _("A code of {region}", region="{region}"),
        "no_colour": _("This region's code shows no colour we can read"),
    }


def _policies(env: Env) -> dict[str, Any]:
    """Each policy's checkpoint words (``checkpoint.actions`` per colour, and its fever
    words) in the reader's language, as the online result screen shows them, and its
    fever line (``domain/checkpoint.fever_line``): kept with the page, so a guard
    offline reads the policy's words and records a fever as the server would. A
    policy without words has none (the page then says the generic words)."""
    shipped: dict[str, Any] = {}
    for policy in env.policies.values():
        words = policy.checkpoint
        shipped[policy.id] = {
            "actions": {c.value: pick(text) for c, text in words.actions.items()} if words else {},
            "fever": pick(words.fever) if words else "",
            "fever_line": fever_line(policy),
        }
    return shipped


@router.get("/staff/scanner")
def scanner_page(
    request: Request,
    who: Scanner,
    uow: UowDep,
    env: EnvDep,
    venue: uuid.UUID | None = None,
) -> Response:
    """The scanner at ``venue`` (one the caller operates, else not found); without
    one, the only venue the caller operates, or a choice of them."""
    here = venues.operated_venue(uow, who, venue) if venue else None
    choices = [] if here else venues.list_venues(uow, who)
    if here is None and len(choices) == 1:
        here = choices[0]
    keys = pinned_list_keys(uow, env)
    return render(
        request,
        "scanning/scanner.html",
        headers=NO_STORE,
        venue=here,
        paused=paused(uow, here) if here else "",
        choices=choices,
        upload=f"/staff/scanner/scans?venue={here.id}" if here else "",
        words=json.dumps(_words(), ensure_ascii=False),
        policies=json.dumps(_policies(env), ensure_ascii=False),
        list_keys=json.dumps(keys) if keys else "",
        warn_days=env.settings.scanner_list_warn_days,
        window_seconds=env.settings.presentation_window_seconds,
        fever_line=fever_line(None),
        lowest_c=LOWEST_C,
        highest_c=HIGHEST_C,
        max_batch=MAX_BATCH,
    )


@router.post("/staff/scanner/scans")
def upload_queue(
    data: BatchInput, who: Scanner, uow: UowDep, env: EnvDep, client: ClientDep, venue: uuid.UUID
) -> JSONResponse:
    """The page's queue: recorded once per ``client_id`` (a batch sent again after a
    lost answer comes back as duplicates); the page drops every id the answer names,
    and shows the guard those not recorded, with why."""
    read = read_batch(data.scans)
    result = uploads.upload_scans(uow, env, who, venue_id=venue, scans=read.scans, client=client)
    return JSONResponse(batch_out(read, result).model_dump(), headers=NO_STORE)
