"""Region look-up for the forms, and the API docs served offline.

Regions: ``/regions.json?q=滨州`` feeds the forms' autocomplete and
``/regions/within.json?parent=37`` their picker, a level at a time; ``/regions?q=``
is the same search as a page, for phones without JavaScript.

Docs: FastAPI's Swagger UI page with our vendored copy of swagger-ui-dist instead
of a CDN. Its one inline script is allowed by its SHA-256 hash in this response's
Content-Security-Policy (the edge middleware keeps a CSP a response already has).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, Response

from healthcode.domain.identity import Region, search_regions, subdivisions
from healthcode.services.shared.bounds import SafeText
from healthcode.web.static_files import static_url
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)
RegionQuery = Annotated[SafeText, Query(max_length=40)]
_INLINE = re.compile(rb"<script>(.*?)</script>", re.S)
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self' {hashes}; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'; object-src 'none'"
)


def _found(q: str) -> list[Region]:
    return search_regions(q, limit=12) if q.strip() else []


@router.get("/regions.json")
def regions_json(q: RegionQuery = "") -> Response:
    found = [{"code": r.code, "name": r.full_name} for r in _found(q)]
    return JSONResponse(found, headers={"Cache-Control": "public, max-age=86400"})


@router.get("/regions/within.json")
def regions_within(parent: Annotated[str, Query(max_length=4)] = "") -> Response:
    """One level of the forms' province → city → county picker."""
    found = [{"code": r.code, "name": r.name} for r in subdivisions(parent)]
    return JSONResponse(found, headers={"Cache-Control": "public, max-age=86400"})


@router.get("/regions")
def regions_page(request: Request, q: RegionQuery = "") -> Response:
    return render(request, "shared/regions.html", q=q, found=_found(q))


@router.get("/docs")
def docs(request: Request) -> Response:
    page = get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} · API",
        swagger_js_url=static_url("vendor/swagger-ui/swagger-ui-bundle.js"),
        swagger_css_url=static_url("vendor/swagger-ui/swagger-ui.css"),
        swagger_favicon_url=static_url("icon.svg"),
    )
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s).digest()).decode() + "'"
        for s in _INLINE.findall(page.body)
    )
    page.headers["content-security-policy"] = DOCS_CSP.format(hashes=hashes)
    return page
