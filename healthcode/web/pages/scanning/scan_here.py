"""The resident's 扫一扫 page: the phone's camera (static/scanner/camera.js) reads a
venue's code and opens its check-in page; a typed code or link does the same without
JavaScript. Anything else is answered with what it is not."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from healthcode.i18n import translate
from healthcode.services.shared.bounds import SafeText
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)
VENUE_PATH = re.compile(r"/v/([A-Za-z0-9_-]{1,64})/?")
BARE_CODE = re.compile(r"[A-Za-z0-9_-]{4,64}")


def venue_code(text: str, host: str) -> str | None:
    """The venue code in a link to this site's ``/v/<code>``, or typed on its own."""
    text = text.strip()
    if BARE_CODE.fullmatch(text):
        return text
    parts = urlsplit(text)
    if parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower():
        found = VENUE_PATH.fullmatch(parts.path)
        if found:
            return found.group(1)
    return None


@router.get("/scan")
def scan_page(request: Request, text: Annotated[SafeText, Query(max_length=2000)] = "") -> Response:
    problem = None
    if text.strip():
        code = venue_code(text, request.url.netloc)
        if code is not None:
            return RedirectResponse(f"/v/{code}", status_code=303)
        problem = translate("This QR code is not a venue code of this site.")
    return render(
        request, "scanning/scan_here.html", problem=problem, headers={"Cache-Control": "no-store"}
    )
