"""The offline scanner page (离线扫码): a checkpoint's guard reads codes with a
keyboard-wedge scanner, by pasting, or with the camera, and the page verifies them
itself (static/scanner/verify.js) against the trust and revocation lists it keeps in
IndexedDB; scan records wait in a queue until the network is back.

The page only hands the script what it needs: the venue, the words of the result
screen in the reader's language, how old the lists may get before it warns, the
presentation window, and the pinned list-signing keys (docs/scanner.md).
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from healthcode.domain.colour import Colour
from healthcode.domain.tokens.refusal import VALID_MESSAGE, Refusal
from healthcode.http.deps import EnvDep, UowDep
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.web.labels import ICONS
from healthcode.web.pages.organisations.access import staff_with
from healthcode.web.templating import _, render

router = APIRouter(include_in_schema=False)
Scanner = Annotated[Principal, Depends(staff_with(Permission.SCAN))]
NO_STORE = {"Cache-Control": "no-store"}
DEFAULT_WARN_DAYS = 3  # HEALTHCODE_SCANNER_LIST_WARN_DAYS (docs/keys.md), when configured
REFUSED_ICON = "✕"


def pinned_list_keys(uow: UowDep, env: EnvDep) -> dict[str, Any] | None:
    """The list-signing keys the page pins (a JWK Set), or None: the page then reads
    the plain lists. The seam for the signed lists (docs/keys.md): it answers the
    published list keys once the list-signing keys are in this branch."""
    return None


def _words() -> dict[str, Any]:
    colours = (Colour.GREEN, Colour.YELLOW, Colour.RED, Colour.PENDING)
    return {
        "colours": {c.value: _(c.label) for c in colours},
        "icons": {**{c.value: ICONS[c] for c in colours}, "refused": REFUSED_ICON},
        "reasons": {r.value: _(r.message) for r in Refusal},
        "valid": _(VALID_MESSAGE),
        "refused": _("Code refused"),
        "may_pass": _("Let through after the temperature check"),
        "stop": _("Stop: do not let through"),
        "valid_until": _("Valid until {time}", time="{time}"),
        "scanned_at": _("Scanned at {time}", time="{time}"),
        "lists_age": _("Lists issued {time}", time="{time}"),
        "lists_stale": _(
            "Older than {days} days: connect to the internet to update them.", days="{days}"
        ),
        "no_lists": _("No trust list yet: connect to the internet once to fetch it."),
        "queued": _("{count} scans waiting to upload", count="{count}"),
        "queue_empty": _("Every scan is uploaded."),
    }


@router.get("/staff/scanner")
def scanner_page(
    request: Request,
    who: Scanner,
    uow: UowDep,
    env: EnvDep,
    venue: uuid.UUID | None = None,
) -> Response:
    keys = pinned_list_keys(uow, env)
    return render(
        request,
        "scanning/scanner.html",
        headers=NO_STORE,
        venue=venue,
        upload=f"/staff/scanner/scans?venue={venue}" if venue else "",
        words=json.dumps(_words(), ensure_ascii=False),
        list_keys=json.dumps(keys) if keys else "",
        warn_days=getattr(env.settings, "scanner_list_warn_days", DEFAULT_WARN_DAYS),
        window_seconds=env.settings.presentation_window_seconds,
    )
